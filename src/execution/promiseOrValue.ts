/** A value now, or later: pure nodes stay synchronous and allocate no promise (graphql-js style). */
export type PromiseOrValue<T> = T | Promise<T>;

/** Whether `value` is a thenable. */
export function isPromise<T>(value: PromiseOrValue<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
