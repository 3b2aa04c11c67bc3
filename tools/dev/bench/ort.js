// ONNX Runtime (onnxruntime-node) side of tools/dev/bench.
//   node ort.js WORKDIR W H C THREADS REPEATS   (NODE_PATH must reach onnxruntime-node)
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

(async () => {
  const [work, w, h, c, threads, repeats] = process.argv.slice(2);
  const W = +w, H = +h, C = +c;
  const raw = fs.readFileSync(path.join(work, 'in.raw'));
  const hwc = new Float32Array(raw.buffer, raw.byteOffset, W * H * C);
  const chw = new Float32Array(W * H * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let k = 0; k < C; k++) chw[(k * H + y) * W + x] = hwc[(y * W + x) * C + k];
  const session = await ort.InferenceSession.create(path.join(work, 'model.onnx'), {
    intraOpNumThreads: +threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const feeds = { x: new ort.Tensor('float32', chw, [1, C, H, W]) };
  let out = await session.run(feeds); // warm up
  const times = [];
  for (let i = 0; i < +repeats; i++) {
    const t0 = process.hrtime.bigint();
    out = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log('ort_ms ' + times[Math.floor(times.length / 2)].toFixed(2));
  const y = out.y.data;
  fs.writeFileSync(path.join(work, 'ort.raw'), Buffer.from(y.buffer, y.byteOffset, y.byteLength));
})().catch(e => { console.log('ort_error ' + String(e).split('\n')[0]); });
