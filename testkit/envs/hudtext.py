"""A scene's own HUD line (GymScene.hud_text): the seat's score and the env's frame, in the scene's words."""

from __future__ import annotations


def line(env, agent: str, info: dict) -> str:
    return f"{agent}: {info['scores'][agent]:g} points in round {info['round']} of {info['rounds']}"


def not_text(env, agent: str, info: dict) -> int:
    return 7
