/**
 * A deadline around a promise that cannot be aborted itself: rejects with `message` when `ms` pass first. The
 * promise keeps running; Docker calls use {@link EndpointClient.call} instead, which also aborts the request.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, message = `no answer within ${ms} ms`): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
