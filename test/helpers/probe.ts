// Runs the capture API inside a namespace for a test, answering over the IPC channel:
//   parent -> { type: 'drain' } | { type: 'close' } | { type: 'attachments' } | { type: 'park' } | { type: 'parking' }
//   probe  -> { type: 'ready', attachments, missing, mode } | { type: 'flows', flows, counters, overflows, hooks }
//             | { type: 'attachments', attachments } | { type: 'parking', parked, wakes, hooks }
//             | { type: 'error', message, code }
// Options arrive as JSON in argv[2].
import { FlowCapture, type CaptureOptions } from '../../src/capture/index.js';
import { formatAddress, formatMac, type DrainedFlows, type FlowRecord } from '../../src/model/index.js';

export interface ProbeFlow extends Omit<FlowRecord, 'srcAddr' | 'dstAddr' | 'srcMac' | 'dstMac'> {
  srcAddr: string;
  dstAddr: string;
  srcMac: string;
  dstMac: string;
}

function plain(flow: FlowRecord): ProbeFlow {
  return {
    ...flow,
    srcAddr: formatAddress(flow.srcAddr),
    dstAddr: formatAddress(flow.dstAddr),
    srcMac: formatMac(flow.srcMac),
    dstMac: formatMac(flow.dstMac),
  };
}

const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as CaptureOptions;
  let overflows = 0;
  let wakes = 0;
  const lost: string[] = [];
  const errors: string[] = [];
  let capture: FlowCapture;
  const hooks = () => ({ lost, hooksLost: capture.hooksLost, unhooked: capture.unhooked, errors });
  try {
    capture = FlowCapture.open({
      ...options,
      onOverflow: () => overflows++,
      onHookLost: ({ name, direction }) => lost.push(`${name}/${direction}`),
      onError: (error) => errors.push(error.message),
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    await send({ type: 'error', message: failure.message, code: failure.code });
    process.exit(0);
  }
  const sendFlows = (flows: DrainedFlows) =>
    send({ type: 'flows', flows: flows.decode().map(plain), counters: capture.counters(), overflows, hooks: hooks(), hookChecks: capture.hookChecks });
  await send({ type: 'ready', attachments: capture.attachments, missing: capture.missing, mode: capture.mode });
  process.on('message', async (message: { type: string }) => {
    try {
      if (message.type === 'attachments') {
        await send({ type: 'attachments', attachments: capture.attachments });
      } else if (message.type === 'park' || message.type === 'parking') {
        if (message.type === 'park') capture.park(() => wakes++);
        await send({ type: 'parking', parked: capture.parked, wakes, hooks: hooks() });
      } else if (message.type === 'drain') {
        const flows = await capture.drain();
        await sendFlows(flows);
      } else if (message.type === 'close') {
        const flows = await capture.close();
        // After close: the counters once everything was drained.
        await sendFlows(flows);
        process.exit(0);
      }
    } catch (error) {
      await send({ type: 'error', message: (error as Error).message, code: (error as NodeJS.ErrnoException).code });
    }
  });
}

void main();
