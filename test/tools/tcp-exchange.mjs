// tcp-exchange server PORT | client HOST PORT BYTES
// The server accepts one connection, reads until the client closes, then closes and exits.
// The client connects, writes BYTES bytes, half-closes and waits for the server's close.
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
} else {
  const socket = net.connect({ host: args[0], port: Number(args[1]) }, () => socket.end(Buffer.alloc(Number(args[2]))));
  socket.resume();
  socket.on('close', () => process.exit(0));
}
