// Draws MUG render packets with Phaser 3 (from npm, loaded as window.Phaser). Objects are kept by id and
// updated in place; ephemeral ones vanish when a packet omits them; persistent ones stay until removed.
// A packet's `size` is the env's drawing area in pixels: when it differs from the canvas the camera scales it by the
// smaller ratio (aspect kept) and centres it, so the bands left over (letterbox) show the background.

import { drawGraphics, isGraphics, rasterImage } from "./shapes.js";

const ALIGN_ORIGIN = { left: 0, center: 0.5, right: 1 };

/**
 * The scene's asset files (the worker's downloads) decoded into images, before Start is offered: a file the browser
 * cannot decode fails the load here, not mid-game.
 * @param {{name: string, kind: string, image: Blob, atlas?: any}[]} images
 * @returns {Promise<{name: string, image: HTMLImageElement, atlas?: any}[]>}
 */
export function decodeAssets(images) {
  return Promise.all(
    (images || []).map(async ({ name, image, atlas }) => {
      const element = new Image();
      const url = URL.createObjectURL(image);
      element.src = url;
      try {
        await element.decode();
      } catch {
        throw new Error(`the game image ${name} could not be decoded`);
      } finally {
        URL.revokeObjectURL(url);
      }
      return { name, image: element, atlas };
    }),
  );
}

export async function createRenderer(
  parent,
  { width, height, background, assets = [], textures = [], pixelArt = false },
) {
  const Phaser = window.Phaser;
  const seatLine = document.createElement("div"); // who this player is ("You are the blue chef")
  seatLine.className = "seat";
  seatLine.hidden = true;
  parent.appendChild(seatLine);
  const hudLine = document.createElement("div");
  hudLine.className = "hud";
  parent.appendChild(hudLine);
  const scene = await new Promise((resolve, reject) => {
    // CANVAS, not WebGL: identical pixels in headless test browsers and on machines without a GPU.
    new Phaser.Game({
      type: Phaser.CANVAS,
      parent,
      width,
      height,
      backgroundColor: background,
      // Crisp sprites (nearest-neighbour scaling, whole pixels) for pixel-art scenes (GymScene.pixel_art).
      pixelArt: Boolean(pixelArt),
      banner: false,
      audio: { noAudio: true },
      scene: {
        preload() {
          this.load.on("loaderror", (file) => reject(new Error(`could not load the game image ${file.key}`)));
          // The scene's own files, decoded already (decodeAssets); then the env's images named by URL.
          for (const { name, image, atlas } of textures) {
            if (atlas) this.textures.addAtlas(name, image, atlas);
            else this.textures.addImage(name, image);
          }
          for (const asset of assets) {
            if (asset.kind === "scene") continue; // one of the textures above
            if (asset.kind === "atlas") this.load.atlas(asset.name, asset.url, asset.atlas_url);
            else this.load.image(asset.name, asset.url);
          }
        },
        create() {
          resolve(this);
        },
      },
    });
  });
  return new PacketRenderer(scene, hudLine, seatLine);
}

/**
 * What a player is told about their seat: the scene's label for the agent, or its id when the env has two or more
 * agents; "" (nothing shown) for a game of one agent.
 * @param {{agents: Record<string, any>, agent_labels?: Record<string, string>}} loop the scene's loop configuration
 * @param {string | null | undefined} seat
 */
export function seatText(loop, seat) {
  if (!seat) return "";
  const label = loop.agent_labels?.[seat];
  if (label) return `You are ${label}`;
  return Object.keys(loop.agents || {}).length >= 2 ? `You are ${seat}` : "";
}

/**
 * A HUD sent for every seat at once ({seat: line}, server-side games) as this seat's line.
 * @param {string | Record<string, string> | null | undefined} hud
 * @param {string | null | undefined} seat
 */
export function hudFor(hud, seat) {
  if (hud && typeof hud === "object") return (seat && hud[seat]) || "";
  return hud || "";
}

export class PacketRenderer {
  constructor(scene, hudLine, seatLine) {
    this.scene = scene;
    this.hudLine = hudLine;
    this.seatLine = seatLine;
    this.objects = new Map(); // id -> { spec, node }
    this.warned = new Set();
    this.size = null; // the env's drawing area [w, h] of the last packet that said
  }

  draw(packet) {
    if (packet.size) this.#fit(packet.size);
    if (packet.reset) this.#clear();
    for (const id of packet.removed || []) this.#destroy(id);
    const seen = new Set();
    for (const spec of packet.objects || []) {
      seen.add(spec.id);
      this.#apply(spec);
    }
    for (const [id, entry] of this.objects) {
      if (!entry.spec.persistent && !seen.has(id)) this.#destroy(id);
    }
  }

  hud(text) {
    this.hudLine.textContent = text || "";
  }

  /** @param {string} text who this player is; "" hides the line */
  seat(text) {
    this.seatLine.textContent = text;
    this.seatLine.hidden = !text;
  }

  objectCount() {
    return this.objects.size;
  }

  /** For tests: the env's drawing area and how it is scaled onto the canvas. */
  view() {
    const camera = this.scene.cameras.main;
    return { size: this.size, zoom: camera.zoom, pixelArt: Boolean(this.scene.game.config.pixelArt) };
  }

  /** For tests: where an object is now and whether it is shown. */
  objectState(id) {
    const entry = this.objects.get(id);
    if (!entry) return null;
    return { x: entry.node.x, y: entry.node.y, type: entry.spec.type, visible: entry.node.visible };
  }

  destroy() {
    this.#clear();
    this.scene.game.destroy(true);
    this.hudLine.remove();
    this.seatLine.remove();
  }

  #fit([w, h]) {
    if (this.size && this.size[0] === w && this.size[1] === h) return;
    this.size = [w, h];
    const camera = this.scene.cameras.main;
    camera.setZoom(Math.min(camera.width / w, camera.height / h));
    camera.centerOn(w / 2, h / 2);
  }

  #apply(spec) {
    const entry = this.objects.get(spec.id);
    if (entry && entry.spec.type === spec.type) {
      this.#update(entry, spec);
      return;
    }
    if (entry) this.#destroy(spec.id);
    const node = this.#create(spec);
    if (!node) return;
    const created = { spec, node };
    this.objects.set(spec.id, created);
    this.#style(created, spec);
  }

  #create(spec) {
    const add = this.scene.add;
    if (isGraphics(spec.type)) {
      const g = add.graphics();
      drawGraphics(g, spec);
      g.setPosition(spec.x || 0, spec.y || 0);
      return g;
    }
    if (spec.type === "text") {
      const text = add.text(spec.x, spec.y, spec.text, this.#font(spec));
      return text.setOrigin(ALIGN_ORIGIN[spec.align] ?? 0, 0);
    }
    if (spec.type === "image") {
      const [x, y] = imageAt(spec);
      const image = add.image(x, y, spec.image, spec.frame ?? undefined).setOrigin(spec.origin ?? 0.5);
      return image.setDisplaySize(spec.w, spec.h).setAngle(spec.angle);
    }
    if (spec.type === "raster") {
      this.#paintRaster(spec);
      return add.image(spec.x, spec.y, `raster:${spec.id}`).setOrigin(0, 0).setDisplaySize(spec.w, spec.h);
    }
    if (!this.warned.has(spec.type)) {
      this.warned.add(spec.type);
      console.warn(`MUG renderer: unknown object type ${spec.type}; skipped`);
    }
    return null;
  }

  #update(entry, spec) {
    const node = entry.node;
    const old = entry.spec;
    entry.spec = spec;
    if (isGraphics(spec.type)) {
      if (geometryChanged(old, spec)) drawGraphics(node, spec);
      this.#move(node, spec.x || 0, spec.y || 0, spec.tween_ms);
    } else if (spec.type === "text") {
      if (old.text !== spec.text) node.setText(spec.text);
      node.setStyle(this.#font(spec)).setOrigin(ALIGN_ORIGIN[spec.align] ?? 0, 0);
      this.#move(node, spec.x, spec.y, spec.tween_ms);
    } else if (spec.type === "image") {
      if (old.image !== spec.image || old.frame !== spec.frame) node.setTexture(spec.image, spec.frame ?? undefined);
      node.setOrigin(spec.origin ?? 0.5).setDisplaySize(spec.w, spec.h).setAngle(spec.angle);
      const [x, y] = imageAt(spec);
      this.#move(node, x, y, spec.tween_ms);
    } else if (spec.type === "raster") {
      this.#paintRaster(spec);
      node.setTexture(`raster:${spec.id}`).setDisplaySize(spec.w, spec.h);
      this.#move(node, spec.x, spec.y, spec.tween_ms);
    }
    this.#style(entry, spec);
  }

  #move(node, x, y, tweenMs) {
    if (node.x === x && node.y === y) return;
    const target = node.getData("tweenTarget");
    // Already gliding there (an object drawn again each frame at the same goal): let the tween finish, as the
    // anchor's renderer does, rather than restarting it each frame and never arriving.
    if (tweenMs > 0 && target && target[0] === x && target[1] === y && this.scene.tweens.isTweening(node)) return;
    this.scene.tweens.killTweensOf(node);
    if (tweenMs > 0) {
      node.setData("tweenTarget", [x, y]);
      this.scene.tweens.add({ targets: node, x, y, duration: tweenMs, ease: "Linear" });
    } else {
      node.setPosition(x, y);
    }
  }

  #style(entry, spec) {
    entry.node.setDepth(spec.depth || 0).setAlpha(spec.alpha ?? 1);
  }

  #font(spec) {
    return { fontFamily: spec.font, fontSize: `${spec.size}px`, color: spec.color || "#000000" };
  }

  #paintRaster(spec) {
    const key = `raster:${spec.id}`;
    const textures = this.scene.textures;
    let texture = textures.exists(key) ? textures.get(key) : null;
    if (texture && (texture.width !== spec.width || texture.height !== spec.height)) {
      textures.remove(key);
      texture = null;
    }
    texture = texture || textures.createCanvas(key, spec.width, spec.height);
    texture.getContext().putImageData(rasterImage(spec), 0, 0);
    texture.refresh();
  }

  #destroy(id) {
    const entry = this.objects.get(id);
    if (!entry) return;
    this.scene.tweens.killTweensOf(entry.node);
    entry.node.destroy();
    this.objects.delete(id);
  }

  #clear() {
    for (const id of [...this.objects.keys()]) this.#destroy(id);
  }
}

/** Where an image node sits: its centre (origin 0.5, the default) or its top-left corner (origin 0, the anchor's). */
function imageAt(spec) {
  const origin = spec.origin ?? 0.5;
  return [spec.x + spec.w * (origin === 0 ? 0 : 0.5), spec.y + spec.h * (origin === 0 ? 0 : 0.5)];
}

function geometryChanged(old, spec) {
  for (const key of Object.keys(spec)) {
    if (key === "x" || key === "y" || key === "alpha" || key === "depth" || key === "tween_ms") continue;
    if (JSON.stringify(old[key]) !== JSON.stringify(spec[key])) return true;
  }
  return false;
}
