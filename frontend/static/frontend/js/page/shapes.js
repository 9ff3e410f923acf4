// Drawing of one render-packet object into a Phaser Graphics, in local coordinates around (x, y),
// so that moving (and tweening) an object is a change of its position, not a redraw.

export function hex(color) {
  return parseInt(color.slice(1), 16);
}

function paint(g, spec, fillFn, strokeFn) {
  if (spec.fill) {
    g.fillStyle(hex(spec.fill), 1);
    fillFn();
  }
  if (spec.stroke && spec.stroke_width > 0) {
    g.lineStyle(spec.stroke_width, hex(spec.stroke), 1);
    strokeFn();
  }
}

const points = (list) => list.map(([x, y]) => ({ x, y }));

const DRAW = {
  rect(g, s) {
    const rounded = s.radius > 0;
    paint(
      g,
      s,
      () => (rounded ? g.fillRoundedRect(0, 0, s.w, s.h, s.radius) : g.fillRect(0, 0, s.w, s.h)),
      () => (rounded ? g.strokeRoundedRect(0, 0, s.w, s.h, s.radius) : g.strokeRect(0, 0, s.w, s.h)),
    );
  },
  circle(g, s) {
    paint(g, s, () => g.fillCircle(0, 0, s.r), () => g.strokeCircle(0, 0, s.r));
  },
  ellipse(g, s) {
    paint(g, s, () => g.fillEllipse(0, 0, s.rx * 2, s.ry * 2), () => g.strokeEllipse(0, 0, s.rx * 2, s.ry * 2));
  },
  arc(g, s) {
    const path = () => {
      g.beginPath();
      if (s.closed) g.moveTo(0, 0);
      g.arc(0, 0, s.r, s.start, s.end, false);
      if (s.closed) g.closePath();
    };
    paint(g, s, () => (path(), g.fillPath()), () => (path(), g.strokePath()));
  },
  line(g, s) {
    // A filled line (the anchor's fill_below / fill_above): the area between the polyline and each level in fill_to.
    for (const level of s.fill && s.points.length ? s.fill_to || [] : []) {
      const first = s.points[0];
      const last = s.points[s.points.length - 1];
      g.fillStyle(hex(s.fill), 1);
      g.fillPoints(points([...s.points, [last[0], level], [first[0], level]]), true);
    }
    if (!s.stroke) return;
    g.lineStyle(s.stroke_width, hex(s.stroke), 1);
    g.strokePoints(points(s.points), false);
  },
  polygon(g, s) {
    paint(g, s, () => g.fillPoints(points(s.points), true), () => g.strokePoints(points(s.points), true));
  },
};

/** Types drawn with Graphics; their x/y (absent for lines and polygons) is the Graphics position. */
export function isGraphics(type) {
  return type in DRAW;
}

export function drawGraphics(g, spec) {
  g.clear();
  DRAW[spec.type](g, spec);
}

/** The decoded pixels of a raster object as RGBA ImageData. */
export function rasterImage(spec) {
  const bytes = Uint8Array.from(atob(spec.data), (c) => c.charCodeAt(0));
  const image = new ImageData(spec.width, spec.height);
  for (let i = 0, j = 0; i < bytes.length; i += 3, j += 4) {
    image.data[j] = bytes[i];
    image.data[j + 1] = bytes[i + 1];
    image.data[j + 2] = bytes[i + 2];
    image.data[j + 3] = 255;
  }
  return image;
}
