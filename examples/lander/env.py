"""Gymnasium's LunarLander (Box2D, a compiled extension that Pyodide does not have) drawn with the MUG Surface:
a genuinely server-only env. The physics are Gymnasium's, unmodified; only render() is ours."""

from __future__ import annotations

from gymnasium.envs.box2d.lunar_lander import SCALE, VIEWPORT_H, VIEWPORT_W, LunarLander

from mug.surface import Surface

SKY, GROUND, LANDER, LEGS, FLAME, FLAG = "#0b1026", "#c9c3b8", "#8e6fd8", "#5a44a8", "#ff9f1c", "#f2d43d"


class MugLunarLander(LunarLander):
    metadata = {**LunarLander.metadata, "render_modes": [*LunarLander.metadata["render_modes"], "mug"]}

    def __init__(self, render_mode: str | None = None, **kwargs) -> None:
        super().__init__(render_mode=None if render_mode == "mug" else render_mode, **kwargs)
        self.render_mode = render_mode
        self.surface = Surface(VIEWPORT_W, VIEWPORT_H, background=SKY)

    def reset(self, *, seed=None, options=None):
        self.surface.reset()
        return super().reset(seed=seed, options=options)

    def render(self):
        if self.render_mode != "mug":
            return super().render()
        surface = self.surface
        ground = [(x, y) for poly in self.sky_polys for x, y in poly[:2]]  # the terrain's top edge, left to right
        outline = [_px(x, y) for x, y in ground] + [(VIEWPORT_W, VIEWPORT_H), (0, VIEWPORT_H)]
        surface.polygon(outline, fill=GROUND, id="moon", persistent=True)
        for x in (self.helipad_x1, self.helipad_x2):
            bottom = _px(x, self.helipad_y)
            top = (bottom[0], bottom[1] - 50)
            surface.line([bottom, top], color="#ffffff", id=f"pole{x}", persistent=True)
            flag = [top, (top[0], top[1] + 10), (top[0] + 25, top[1] + 5)]
            surface.polygon(flag, fill=FLAG, id=f"flag{x}", persistent=True)
        for particle in self.particles:
            particle.ttl -= 0.15  # as Gymnasium's own render() does: exhaust particles fade and are removed
        self._clean_particles(False)
        for particle in self.particles:
            for fixture in particle.fixtures:
                center = particle.transform * fixture.shape.pos
                surface.circle(*_px(*center), fixture.shape.radius * SCALE, fill=FLAME, alpha=max(0.2, particle.ttl))
        for body, color in [(self.lander, LANDER), *((leg, LEGS) for leg in self.legs)]:
            for fixture in body.fixtures:
                surface.polygon([_px(*(body.transform * v)) for v in fixture.shape.vertices], fill=color)
        return surface.commit()


def _px(x: float, y: float) -> tuple[float, float]:
    """World metres to canvas pixels (y up in the world, down on the canvas)."""
    return (float(x) * SCALE, VIEWPORT_H - float(y) * SCALE)


def make(render_mode: str | None = None, **kwargs) -> MugLunarLander:
    return MugLunarLander(render_mode=render_mode, **kwargs)
