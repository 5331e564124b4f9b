/**
 * Change notices in one process (the in-memory hot state): every listener hears every notice
 * published here, at once. Another process (a CLI command on the embedded database) is not
 * heard: its changes reach this one's caches when their entries lapse.
 */
import type { ChangeNotices, NoticeListener } from '../../../core/ports.js';

export class InProcessNotices implements ChangeNotices {
  readonly #listeners = new Map<string, NoticeListener[]>();

  async publish(topic: string, message: string): Promise<void> {
    for (const listener of this.#listeners.get(topic) ?? []) listener.notice(message);
  }

  listen(topic: string, listener: NoticeListener): void {
    this.#listeners.set(topic, [...(this.#listeners.get(topic) ?? []), listener]);
  }

  live(): boolean {
    return true;
  }
}
