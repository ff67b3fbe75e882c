// Packet counter: a collector that prints packets/s, flows/s and bytes/s every PERIOD, like
// NetObserv's packet-counter example. Written against the collector library only.
//   COLLECTOR=grpc  PORT=9999                                   (flowcast EXPORT=grpc, NetObserv agents)
//   COLLECTOR=nats  NATS_URL=nats://127.0.0.1:4222 NATS_SUBJECT=flowcast.flows   (flowcast EXPORT=nats)
import { startGrpcCollector, startNatsCollector } from '../../src/collector/index.js';

const period = Number(process.env.PERIOD_SECONDS ?? 5);
const totals = { packets: 0, flows: 0, bytes: 0 };
const count = (flows: { packets: number; bytes: number }[]) => {
  totals.flows += flows.length;
  for (const flow of flows) {
    totals.packets += flow.packets;
    totals.bytes += flow.bytes;
  }
};
const onError = (error: Error) => console.error(`skipped a message: ${error.message}`);

const collector =
  process.env.COLLECTOR === 'nats'
    ? await startNatsCollector({
        nats: { servers: [process.env.NATS_URL ?? 'nats://127.0.0.1:4222'], subject: process.env.NATS_SUBJECT ?? 'flowcast.flows' },
        onBatch: (batch) => count(batch.flows),
        onError,
      })
    : await startGrpcCollector({ port: Number(process.env.PORT ?? 9999), onRecords: count, onError });

console.log(`counting (${process.env.COLLECTOR === 'nats' ? 'NATS' : 'gRPC'}), every ${period} s`);
setInterval(() => {
  const rate = (value: number) => Math.round(value / period);
  console.log(`${new Date().toISOString()}  packets/s: ${rate(totals.packets)}  flows/s: ${rate(totals.flows)}  bytes/s: ${rate(totals.bytes)}`);
  Object.assign(totals, { packets: 0, flows: 0, bytes: 0 });
}, period * 1000);
process.once('SIGTERM', async () => {
  await collector.close();
  process.exit(0);
});
