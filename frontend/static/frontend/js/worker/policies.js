// ONNX policies in the game worker: onnxruntime-web (npm, pinned, served from this origin), one session per
// model. Python asks for inference with "queries" (the feeds of the agents due next frame); the outputs go
// back into the next tick, so the model sees exactly the observation a replay on the server gives it.
// The exact verifier imports this module under Node.js (experiments/definition/node/verify.mjs): the same ort build,
// wasm binary and tensor conversion, with the model bytes read from the server's files instead of downloaded.

let ort = null;
const sessions = new Map();

const TYPED = {
  float32: (data) => Float32Array.from(data),
  float64: (data) => Float64Array.from(data),
  int64: (data) => BigInt64Array.from(data, (value) => BigInt(Math.round(value))),
};

export function onnxSpecs(agents) {
  return Object.values(agents).filter((spec) => spec && typeof spec === "object" && spec.kind === "onnx");
}

/**
 * The model of an ONNX agent, downloaded from this origin by its hash.
 * @param {any} spec
 * @param {string} modelUrl
 * @returns {Promise<Uint8Array>}
 */
async function downloadModel(spec, modelUrl) {
  const response = await fetch(`${modelUrl}${spec.sha256}.onnx`);
  if (!response.ok) throw new Error(`the AI model ${spec.model} could not be downloaded (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * One session per model (by sha256), kept for later scenes; `readModel` gives a model's bytes.
 * @param {Record<string, any>} agents
 * @param {string} modelUrl
 * @param {string} ortUrl
 * @param {(spec: any, modelUrl: string) => Promise<Uint8Array>} [readModel]
 */
export async function loadModels(agents, modelUrl, ortUrl, readModel = downloadModel) {
  const specs = onnxSpecs(agents);
  if (!specs.length) return;
  ort = await import(ortUrl + "ort.wasm.min.mjs");
  ort.env.wasm.wasmPaths = ortUrl;
  ort.env.wasm.numThreads = 1; // pages are not cross-origin isolated: no SharedArrayBuffer threads
  for (const spec of specs) {
    if (sessions.has(spec.sha256)) continue;
    const bytes = await readModel(spec, modelUrl);
    sessions.set(spec.sha256, await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] }));
  }
}

// Run every agent's query; returns {agent: {output: {data, dims}}} in the JSON form Python reads.
export async function runQueries(queries, agents) {
  const outputs = {};
  for (const [agent, feeds] of Object.entries(queries || {})) {
    const session = sessions.get(agents[agent].sha256);
    const tensors = {};
    for (const [name, feed] of Object.entries(feeds)) {
      tensors[name] = new ort.Tensor(feed.dtype, TYPED[feed.dtype](feed.data), feed.shape);
    }
    const result = await session.run(tensors);
    outputs[agent] = {};
    for (const [name, tensor] of Object.entries(result)) {
      outputs[agent][name] = { data: Array.from(tensor.data, Number), dims: Array.from(tensor.dims) };
    }
  }
  return outputs;
}
