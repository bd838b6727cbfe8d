// A UDP echo responder for the craft --send tests: started inside a test
// namespace (`tsxCommand('test/helpers/udp-echo-server.ts', [address, port])`),
// it answers every datagram with "echo:" and the datagram's bytes, from the
// port it was sent to, and prints "listening" once bound. IPv4 or IPv6 from
// the address. Ended by the namespace teardown (SIGTERM).
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

const [address = '0.0.0.0', portText = '7'] = process.argv.slice(2);
const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
socket.on('message', (message, from) => {
  socket.send(Buffer.concat([Buffer.from('echo:'), message]), from.port, from.address);
});
socket.bind(Number(portText), address, () => {
  process.stdout.write(`listening on ${address} port ${socket.address().port}\n`);
});
process.on('SIGTERM', () => {
  socket.close();
  process.exit(0);
});
