/**
 * Fan-out of run events to listeners and async iterators. Nothing is buffered for late subscribers
 * (a run can print gigabytes); `startRun` emits its first event after a tick, so subscribing right
 * after it returns sees every event.
 */
export class EventBus<T> implements AsyncIterable<T> {
  private readonly listeners = new Set<(event: T) => void>();
  private readonly closers = new Set<() => void>();
  private closed = false;

  on(listener: (event: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: T): void {
    for (const listener of this.listeners) listener(event);
  }

  close(): void {
    this.closed = true;
    for (const close of this.closers) close();
    this.listeners.clear();
    this.closers.clear();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.closed) return;
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const off = this.on((event) => {
      queue.push(event);
      wake?.();
    });
    const onClose = () => {
      done = true;
      wake?.();
    };
    this.closers.add(onClose);
    try {
      while (true) {
        if (queue.length > 0) yield queue.shift()!;
        else if (done) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      off();
      this.closers.delete(onClose);
    }
  }
}
