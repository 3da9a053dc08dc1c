// Child process of notify-crash.test.ts: a worker that plans and sends notifications until it is killed with SIGKILL.
import { JobName } from '../../services/core/jobs.ts';
import { openBullmqQueue } from '../../services/core/queue/index.ts';
import { openPostgres } from '../../services/core/storage/index.ts';
import { createNotifier } from '../../services/notify/index.ts';
import { notifyConfig } from './notify-fixture.ts';

interface ChildArgs {
  pgUrl: string;
  schema: string;
  redisUrl: string;
  prefix: string;
  hookUrl: string;
  notify: Record<string, unknown>;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const db = openPostgres({ url: args.pgUrl, schema: args.schema });
const queue = await openBullmqQueue({ url: args.redisUrl, prefix: args.prefix, settings: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, maxStalledCount: 2 } });
const notifier = createNotifier({ db, queue, config: notifyConfig(args.notify), secrets: () => args.hookUrl });
queue.process(JobName.NotificationSend, notifier.handleSend);
const result = await notifier.tick();
process.stdout.write(`${JSON.stringify(result)}\n`);
// Stays up: the test kills this process while the receiver holds the request.
setInterval(() => undefined, 60_000);
