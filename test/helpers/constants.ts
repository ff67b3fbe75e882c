// Numbers the tests count with, defined once.
import { pino } from 'pino';

/** IP protocol numbers (the flows' `protocol`). */
export const ICMP = 1;
export const TCP = 6;
export const UDP = 17;
export const ICMPV6 = 58;

/** Ethernet header bytes: flows count frame bytes, this header included. */
export const ETH_HEADER = 14;

/** Frame bytes of a UDP datagram over IPv4 carrying `payload` bytes (Ethernet, IPv4 and UDP headers). */
export const udpFrameBytes = (payload: number) => ETH_HEADER + 20 + 8 + payload;

/** How long the NATS outage tests keep the broker down: a scenario's length, not a wait for an event. */
export const BROKER_OUTAGE_MS = 30_000;

/** A logger for components under test whose log lines the test does not read. */
export const silentLog = pino({ level: 'silent' });
