// The scene's own image files (GymScene.assets), downloaded while the game loads: through the worker's retrying
// fetch (fetching.js), so they count in the progress bar and a failing one is tried again until the page's load
// deadline. The page turns them into the renderer's textures before Start is offered.

/**
 * @typedef {{name: string, kind: string, url: string, atlas_url?: string}} AssetSpec
 * @typedef {{name: string, kind: string, image: Blob, atlas?: any}} LoadedAsset
 */

/**
 * @param {AssetSpec[] | undefined} specs the runtime configuration's `assets`
 * @returns {Promise<LoadedAsset[]>}
 */
export function loadAssets(specs) {
  return Promise.all(
    (specs || []).map(async (spec) => {
      const image = await download(spec.url, spec.name);
      if (!spec.atlas_url) return { name: spec.name, kind: spec.kind, image };
      const atlas = JSON.parse(await (await download(spec.atlas_url, spec.name)).text());
      return { name: spec.name, kind: spec.kind, image, atlas };
    }),
  );
}

/**
 * @param {string} url
 * @param {string} name
 */
async function download(url, name) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the game image ${name} could not be downloaded (HTTP ${response.status})`);
  return response.blob();
}
