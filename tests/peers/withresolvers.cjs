// Node 20 lacks Promise.withResolvers, which a newer it-queue (pulled in by js-ipfs) calls at
// start-up. Preloaded with NODE_OPTIONS="--require .../withresolvers.cjs".
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
