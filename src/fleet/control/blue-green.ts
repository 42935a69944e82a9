import type { DeploySpec } from './schema.ts';
import type { ControlContext } from './context.ts';
import type { DeployRecord } from './record.ts';

type BlueGreenSpec = Extract<DeploySpec, { kind: 'blue-green' }>;
/** The version the green set runs (replicas start at version 0). */
const GREEN_VERSION = 1;

/**
 * Blue-green: at `at_s` a green set as large as the serving (blue) set boots on standby in every
 * targeted pool; once every green replica is ready, traffic switches at once (green serves, blue
 * drains).
 */
export function startBlueGreen(ctx: ControlContext, d: BlueGreenSpec, index: number, where: string): DeployRecord {
  const record: DeployRecord = { index, kind: d.kind, target: d.target, start_s: d.at_s, end_s: null, outcome: 'in_progress', switched_s: null };
  const pools = ctx.clustersOf(d.target, where).map((c) => ctx.poolOf(c, d.boot_s, `gpu:${c.served.name}`));
  const blue: number[][] = pools.map(() => []);
  const green: number[][] = pools.map(() => []);
  let started = false;
  const switchWhenReady = () => {
    if (!started || record.switched_s !== null) return;
    if (!pools.every((p, j) => green[j].every((i) => p.isStandby(i)))) return;
    record.switched_s = ctx.sim.now_ms / 1000;
    pools.forEach((p, j) => {
      p.runNewReplicasAs(GREEN_VERSION);
      green[j].forEach((i) => p.release(i));
      blue[j].forEach((i) => p.drain(i));
      p.logEvent(blue[j].length, green[j].length, 'blue-green switch');
    });
    record.end_s = record.switched_s;
    record.outcome = 'completed';
  };
  for (const p of pools) p.addListener(switchWhenReady);
  ctx.at(d.at_s, () => {
    started = true;
    pools.forEach((p, j) => {
      for (let i = 0; i < p.size; i++) if (p.isOn(i)) blue[j].push(i);
      for (let i = 0; i < p.size && green[j].length < blue[j].length; i++) if (p.isOff(i)) (green[j].push(i), p.boot(i, { version: GREEN_VERSION, standby: true }));
      p.logEvent(blue[j].length, blue[j].length + green[j].length, 'blue-green: green set boots');
    });
  });
  return record;
}
