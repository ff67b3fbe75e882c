// Runs the capture API inside a namespace for a test, answering over the IPC channel:
//   parent -> { type: 'drain' } | { type: 'close' } | { type: 'attachments' }
//   probe  -> { type: 'ready', attachments } | { type: 'flows', flows, counters } | { type: 'attachments', attachments }
//             | { type: 'error', message, code }
// Options arrive as JSON in argv[2].
import { FlowCapture, formatAddress, formatMac, type CaptureOptions, type FlowRecord } from '../../src/capture/index.js';

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
  let capture: FlowCapture;
  try {
    capture = FlowCapture.open({ ...options, onOverflow: () => overflows++ });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    await send({ type: 'error', message: failure.message, code: failure.code });
    process.exit(0);
  }
  await send({ type: 'ready', attachments: capture.attachments });
  process.on('message', async (message: { type: string }) => {
    try {
      if (message.type === 'attachments') {
        await send({ type: 'attachments', attachments: capture.attachments });
      } else if (message.type === 'drain') {
        const flows = await capture.drain();
        await send({ type: 'flows', flows: flows.decode().map(plain), counters: capture.counters(), overflows });
      } else if (message.type === 'close') {
        const counters = capture.counters();
        const flows = await capture.close();
        await send({ type: 'flows', flows: flows.decode().map(plain), counters, overflows });
        process.exit(0);
      }
    } catch (error) {
      await send({ type: 'error', message: (error as Error).message, code: (error as NodeJS.ErrnoException).code });
    }
  });
}

void main();
