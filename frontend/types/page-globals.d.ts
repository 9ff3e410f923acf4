// What participants' pages keep on `window`: read by the tests and the benchmarks (mugGame, mugRoom, mugLive,
// mugScreening), the runtime booted on an earlier page of the flow (mugRuntime), and Phaser (a classic script).
interface Window {
  mugGame: any;
  mugRoom: any;
  mugLive: any;
  mugScreening: any;
  mugRuntime: import("../static/frontend/js/page/runtime.js").Runtime | undefined;
  Phaser: any;
}
