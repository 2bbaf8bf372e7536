import type { Usage } from '../types.js';
import { byId } from './dom.js';
import { formatCount, formatDay } from './format.js';

/** Character usage against the plan's limit, in the footer and in the settings panel. */
export class UsageView {
  readonly #meters = [byId('usage-footer'), byId('usage-settings')];

  show(usage: Usage): void {
    const limit = Math.max(usage.character_limit, 0);
    const used = Math.min(usage.character_count, limit || usage.character_count);
    const fraction = limit > 0 ? used / limit : 0;
    const resets = usage.resets_at ? formatDay(usage.resets_at) : undefined;
    const text = `${formatCount(usage.character_count)} of ${formatCount(limit)} characters used`;
    const detail = `${formatCount(Math.max(usage.remaining, 0))} left${resets ? ` · resets ${resets}` : ''}`;
    for (const meter of this.#meters) {
      meter.hidden = false;
      meter.dataset.level = fraction > 0.9 ? 'high' : fraction > 0.7 ? 'medium' : 'low';
      const bar = meter.querySelector<HTMLElement>('.meter');
      bar?.setAttribute('aria-valuenow', String(used));
      bar?.setAttribute('aria-valuemax', String(limit));
      bar?.setAttribute('aria-valuetext', `${text}, ${detail}`);
      bar?.style.setProperty('--fill', `${(fraction * 100).toFixed(1)}%`);
      const label = meter.querySelector('.usage-text');
      if (label) label.textContent = text;
      const rest = meter.querySelector('.usage-detail');
      if (rest) rest.textContent = detail;
    }
  }
}
