/* udpgen: sends an exact number of UDP datagrams, unpaced, for capture tests and benchmarks.
 *
 *   udpgen DST_ADDR FIRST_PORT FLOWS PACKETS PAYLOAD_BYTES [SRC_PORT]
 *
 * Datagrams go round-robin to ports FIRST_PORT .. FIRST_PORT+FLOWS-1 (one flow each), from one
 * socket (source port SRC_PORT, or one the kernel picks). Prints "sent N packets in S seconds" and
 * exits 1 unless N == PACKETS. Written in C because a Node sender is ten times slower than the
 * capture it has to load. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: udpgen DST_ADDR FIRST_PORT FLOWS PACKETS PAYLOAD_BYTES [SRC_PORT]\n");
		return 2;
	}
	const char *address = argv[1];
	long first_port = strtol(argv[2], NULL, 10), flows = strtol(argv[3], NULL, 10);
	long long packets = strtoll(argv[4], NULL, 10);
	long payload_size = strtol(argv[5], NULL, 10);
	long src_port = argc > 6 ? strtol(argv[6], NULL, 10) : 0;
	if (first_port < 1 || flows < 1 || first_port + flows > 65536 || packets < 0 || payload_size < 0 ||
	    payload_size > 65000 || src_port < 0 || src_port > 65535) {
		fprintf(stderr, "udpgen: argument out of range\n");
		return 2;
	}

	struct sockaddr_storage *targets = calloc(flows, sizeof(*targets));
	socklen_t target_len;
	int family;
	struct in6_addr v6;
	struct in_addr v4;
	if (inet_pton(AF_INET, address, &v4) == 1) {
		family = AF_INET;
		target_len = sizeof(struct sockaddr_in);
		for (long i = 0; i < flows; i++) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&targets[i];
			sin->sin_family = AF_INET;
			sin->sin_addr = v4;
			sin->sin_port = htons(first_port + i);
		}
	} else if (inet_pton(AF_INET6, address, &v6) == 1) {
		family = AF_INET6;
		target_len = sizeof(struct sockaddr_in6);
		for (long i = 0; i < flows; i++) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&targets[i];
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = v6;
			sin6->sin6_port = htons(first_port + i);
		}
	} else {
		fprintf(stderr, "udpgen: %s is not an IPv4 or IPv6 address\n", address);
		return 2;
	}

	int sock = socket(family, SOCK_DGRAM, 0);
	if (sock < 0) {
		perror("udpgen: socket");
		return 1;
	}
	if (src_port) {
		struct sockaddr_storage local = {0};
		local.ss_family = family;
		if (family == AF_INET)
			((struct sockaddr_in *)&local)->sin_port = htons(src_port);
		else
			((struct sockaddr_in6 *)&local)->sin6_port = htons(src_port);
		if (bind(sock, (struct sockaddr *)&local, target_len) < 0) {
			perror("udpgen: bind");
			return 1;
		}
	}

	char *payload = calloc(1, payload_size ? payload_size : 1);
	struct iovec iov = {.iov_base = payload, .iov_len = payload_size};
	struct mmsghdr messages[BATCH];
	struct timespec start, end;
	long long sent = 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (sent < packets) {
		int count = packets - sent < BATCH ? (int)(packets - sent) : BATCH;
		for (int i = 0; i < count; i++) {
			memset(&messages[i], 0, sizeof(messages[i]));
			messages[i].msg_hdr.msg_name = &targets[(sent + i) % flows];
			messages[i].msg_hdr.msg_namelen = target_len;
			messages[i].msg_hdr.msg_iov = &iov;
			messages[i].msg_hdr.msg_iovlen = 1;
		}
		int done = sendmmsg(sock, messages, count, 0);
		if (done < 0) {
			if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)
				continue; /* nothing of this batch left the socket: try it again */
			perror("udpgen: sendmmsg");
			break;
		}
		sent += done;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
	printf("sent %lld packets in %.6f seconds\n", sent, seconds);
	return sent == packets ? 0 : 1;
}
