// tcp-exchange server PORT | client HOST PORT BYTES | refused HOST PORT
// The server accepts one connection, reads until the client closes, then closes and exits.
// The client connects, writes BYTES bytes, half-closes and waits for the server's close.
// On the wire: SYN, SYN-ACK, ACK, PSH-ACK (data), FIN-ACK each way.
// refused connects to a port nobody listens on and exits 0 once refused: SYN, then RST-ACK.
import net from 'node:net';

const [role, ...args] = process.argv.slice(2);
if (role === 'server') {
  const server = net.createServer((socket) => {
    socket.resume();
    socket.on('end', () => {
      socket.end();
      server.close();
    });
  });
  server.listen(Number(args[0]), () => process.stdout.write('listening\n'));
} else if (role === 'refused') {
  const socket = net.connect({ host: args[0], port: Number(args[1]) }, () => {
    process.stderr.write('connected, expected a refusal\n');
    process.exit(1);
  });
  socket.on('error', (error) => process.exit(error.code === 'ECONNREFUSED' ? 0 : 1));
} else {
  const socket = net.connect({ host: args[0], port: Number(args[1]) }, () => socket.end(Buffer.alloc(Number(args[2]))));
  socket.resume();
  socket.on('close', () => process.exit(0));
}
