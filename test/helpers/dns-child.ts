// A DNS server or a DNS client inside a test namespace (test/capture/dns.test.ts).
//   server <address> <port>...: answers A queries on each UDP and TCP port, by the name's first label:
//     `missing.` NXDOMAIN (rcode 3), `silent.` never, anything else NoError with <address>. Prints
//     'ready' once bound, then one JSON line per query received: { id, name, clientPort, port, tcp }.
//     Messages with QR set (responses) are not answered, nor printed.
//   client <server address> <port> <name>...: resolves each name in turn with node's stub resolver
//     (c-ares), a new resolver (so a new socket: a flow of its own) per name, one attempt of
//     1 s; prints one JSON line per name: { name, port, outcome } (the addresses or the error code).
//   tcp <server address> <port> <id> <name>: one query over TCP (a 2-byte length, then the message),
//     waits for the response; prints { clientPort, rcode }.
//   send <server address> <port> <source port> <id> <flags> <name> <times>: sends one message with
//     that header and question `times` times from the source port (what a resolver does not: a
//     retransmission with the same id and port, a response where none was asked for).
// The server is written by hand on node:dgram: no DNS server package in the npm dependencies, and
// answering by name (including never) is all the test needs.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type Socket as NetSocket } from 'node:net';
import { Resolver } from 'node:dns/promises';

const NO_ERROR = 0;
const NXDOMAIN = 3;
const QR_RD_RA = 0x8180; // a response, recursion desired and available

/** The dotted name of the question at offset 12 and the offset just past the question. */
function question(message: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let at = 12;
  while (message[at] !== 0) {
    labels.push(message.toString('latin1', at + 1, at + 1 + message[at]));
    at += 1 + message[at];
  }
  return { name: labels.join('.'), end: at + 1 + 4 }; // the root label, QTYPE, QCLASS
}

/** A DNS message of one A question, no records. */
function message(id: number, flags: number, name: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  const labels = name.split('.').flatMap((label) => [Buffer.from([label.length]), Buffer.from(label, 'latin1')]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/** The response to `query` (undefined: none), after printing what was asked. */
function answer(query: Buffer, address: string, clientPort: number, port: number, tcp: boolean): Buffer | undefined {
  if (query.readUInt16BE(2) & 0x8000) return undefined;
  const { name, end } = question(query);
  process.stdout.write(JSON.stringify({ id: query.readUInt16BE(0), name, clientPort, port, tcp }) + '\n');
  if (name.startsWith('silent.')) return undefined;
  const found = !name.startsWith('missing.');
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(QR_RD_RA | (found ? NO_ERROR : NXDOMAIN), 2);
  header.writeUInt16BE(1, 4); // the question, echoed
  header.writeUInt16BE(found ? 1 : 0, 6);
  // A record: a pointer to the question's name, type A, class IN, TTL 60, 4 bytes of address.
  const record = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...address.split('.').map(Number)]);
  return Buffer.concat([header, query.subarray(12, end), ...(found ? [record] : [])]);
}

function answerUdp(socket: Socket, query: Buffer, from: RemoteInfo, address: string): void {
  const response = answer(query, address, from.port, socket.address().port, false);
  if (response) socket.send(response, from.port, from.address);
}

/** DNS over TCP: each message after its 2-byte length (RFC 1035 4.2.2). */
function answerTcp(connection: NetSocket, address: string, port: number): void {
  let pending = Buffer.alloc(0);
  connection.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const query = pending.subarray(2, 2 + pending.readUInt16BE(0));
      pending = pending.subarray(2 + query.length);
      const response = answer(query, address, connection.remotePort!, port, true);
      if (response) connection.write(Buffer.concat([lengthOf(response), response]));
    }
  });
  connection.on('error', () => connection.destroy());
}

function lengthOf(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return length;
}

async function serve(address: string, ports: number[]): Promise<void> {
  await Promise.all(
    ports.map(
      (port) =>
        new Promise<void>((resolve, reject) => {
          const socket = createSocket('udp4');
          socket.on('message', (query, from) => answerUdp(socket, query, from, address));
          socket.once('error', reject);
          socket.bind(port, address, () => resolve());
        }),
    ),
  );
  await Promise.all(
    ports.map(
      (port) =>
        new Promise<void>((resolve, reject) => {
          const server = createServer((connection) => answerTcp(connection, address, port));
          server.once('error', reject);
          server.listen(port, address, () => resolve());
        }),
    ),
  );
  process.stdout.write('ready\n');
}

async function resolve(server: string, port: number, names: string[]): Promise<void> {
  for (const name of names) {
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`${server}:${port}`]);
    const outcome = await resolver.resolve4(name).catch((error: NodeJS.ErrnoException) => error.code);
    process.stdout.write(JSON.stringify({ name, port, outcome }) + '\n');
  }
}

async function send(server: string, port: number, sourcePort: number, id: number, flags: number, name: string, times: number): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(sourcePort, () => resolve()));
  for (let i = 0; i < times; i++)
    await new Promise((resolve, reject) => socket.send(message(id, flags, name), port, server, (error) => (error ? reject(error) : resolve(null))));
  socket.close();
}

async function queryTcp(server: string, port: number, id: number, name: string): Promise<void> {
  const connection = connect(port, server);
  await once(connection, 'connect');
  const query = message(id, 0x0100, name);
  connection.write(Buffer.concat([lengthOf(query), query]));
  let response = Buffer.alloc(0);
  while (response.length < 2 || response.length < 2 + response.readUInt16BE(0))
    response = Buffer.concat([response, (await once(connection, 'data'))[0] as Buffer]);
  process.stdout.write(JSON.stringify({ clientPort: connection.localPort, rcode: response.readUInt16BE(4) & 0xf }) + '\n');
  connection.end();
  await once(connection, 'close');
}

const [mode, address, ...rest] = process.argv.slice(2);
if (mode === 'server') await serve(address, rest.map(Number));
else if (mode === 'tcp') await queryTcp(address, Number(rest[0]), Number(rest[1]), rest[2]);
else if (mode === 'send') await send(address, Number(rest[0]), Number(rest[1]), Number(rest[2]), Number(rest[3]), rest[4], Number(rest[5]));
else await resolve(address, Number(rest[0]), rest.slice(1));
