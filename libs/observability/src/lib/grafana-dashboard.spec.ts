/**
 * The shipped Grafana dashboard against the metrics the apps register (each
 * app's registry built as its main does): every query names an exported
 * series, the panels that do not say "Distributed deployment only" are all
 * exported by the embedded server, and the Faults row reads the fault counters.
 */
import { CALL_ORIGINS } from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { dashboardPanels, readExposition, seriesIn, unansweredSeries, type DashboardPanel, type Exposition } from '../testing/dashboard';
import { meterEngines } from './engine-metrics';
import { FaultMetrics } from './fault-metrics';
import { createMetricsRegistry, RelayMetrics, WorkerMetrics } from './metrics';

const panels = dashboardPanels();
const queried = panels.filter((p) => p.queries.length > 0);

async function appExpositions(): Promise<Record<'orchestrator' | 'slmWorker' | 'llmWorker' | 'embedded', Exposition>> {
  const orchestrator = createMetricsRegistry({ service: 'relayllm-orchestrator' });
  new RelayMetrics(orchestrator);
  new FaultMetrics(orchestrator);
  const worker = (kind: 'slm' | 'llm') => {
    const registry = createMetricsRegistry({ service: `relayllm-${kind}-worker` });
    new WorkerMetrics(registry, kind, { active: () => 0, max: 1 });
    return registry;
  };
  const embedded = createMetricsRegistry({ service: 'relayllm' });
  new RelayMetrics(embedded);
  meterEngines(embedded, { slm: new ScriptedEngine([]), llm: new ScriptedEngine([]) }, { slm: 1, llm: 1 });
  return {
    orchestrator: readExposition(await orchestrator.metrics()),
    slmWorker: readExposition(await worker('slm').metrics()),
    llmWorker: readExposition(await worker('llm').metrics()),
    embedded: readExposition(await embedded.metrics()),
  };
}

const union = (expositions: Exposition[]): Exposition => ({
  declared: new Set(expositions.flatMap((e) => [...e.declared])),
  sampled: new Set(expositions.flatMap((e) => [...e.sampled])),
});

describe('deploy/observability/grafana-dashboard.json', () => {
  it('every panel query names a series the apps export', async () => {
    const apps = await appExpositions();
    expect(queried.length).toBeGreaterThan(15);
    expect(unansweredSeries(queried, union(Object.values(apps)), 'declared')).toEqual([]);
  });

  it('every panel not marked "Distributed deployment only" reads series the embedded server exports', async () => {
    const { embedded } = await appExpositions();
    const both = queried.filter((p) => !p.clusterOnly);
    expect(both.map((p) => p.title)).toEqual(expect.arrayContaining(['Active sequences per worker / engine', 'LLM KV reuse (prefill tokens per s)', 'Worker requests by outcome (per s)']));
    expect(unansweredSeries(both, embedded, 'declared')).toEqual([]);
    // The output cache and affinity exist only in the cluster: their panels say so.
    const clusterOnly = (series: string): DashboardPanel[] => queried.filter((p) => p.queries.some((q) => seriesIn(q).includes(series)));
    for (const series of ['relayllm_output_cache_lookups_total', 'relayllm_llm_relays_total']) {
      expect(clusterOnly(series).map((p) => [p.title, p.clusterOnly])).toEqual([[expect.stringContaining('(cluster)'), true]]);
    }
  });

  it('splits relay calls by origin (the SLM\'s command or the confidence floor), a series both deployments sample for every origin', async () => {
    const byOrigin = queried.filter((p) => p.queries.some((q) => seriesIn(q).includes('relayllm_calls_total')));
    expect(byOrigin.map((p) => [p.title, p.clusterOnly, p.queries])).toEqual([['Relay calls by origin (per s)', false, [expect.stringMatching(/^sum by \(origin\) \(rate\(relayllm_calls_total\[\w+\]\)\)$/)]]]);
    const { orchestrator, embedded } = await appExpositions();
    expect(unansweredSeries(byOrigin, orchestrator, 'sampled')).toEqual([]);
    expect(unansweredSeries(byOrigin, embedded, 'sampled')).toEqual([]);
    const registry = createMetricsRegistry({ service: 'relayllm' });
    new RelayMetrics(registry);
    const origins = [...(await registry.metrics()).matchAll(/^relayllm_calls_total\{[^}]*origin="(\w+)"/gm)].map((m) => m[1]);
    expect([...new Set(origins)].sort()).toEqual([...CALL_ORIGINS].sort());
  });

  it('has a Faults row reading each fault counter, by its label', () => {
    const row = panels.find((p) => p.type === 'row' && p.title.startsWith('Faults'));
    expect(row?.clusterOnly).toBe(true);
    const faults = panels.filter((p) => p.gridPos.y === (row?.gridPos.y ?? -2) + 1);
    expect(faults.map((p) => p.queries.flatMap(seriesIn))).toEqual([
      ['relayllm_llm_reissues_total'],
      ['relayllm_slm_failovers_total'],
      ['relayllm_store_bypass_total'],
      ['relayllm_broker_disconnects_total'],
    ]);
    expect(faults.map((p) => p.queries[0])).toEqual([
      expect.stringContaining('sum by (reason)'),
      expect.stringContaining('sum by (reason)'),
      expect.stringContaining('sum by (operation)'),
      expect.stringContaining('sum by (role)'),
    ]);
    for (const panel of faults) expect(panel.clusterOnly).toBe(true);
  });

  it('lays its panels out without overlap on the 24-column grid, with unique ids', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const { gridPos: g, title } of panels) {
      expect({ title, fits: g.x >= 0 && g.x + g.w <= 24 }).toEqual({ title, fits: true });
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`) ? `${title} overlaps at ${x},${y}` : '').toBe('');
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
