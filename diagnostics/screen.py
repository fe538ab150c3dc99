"""Finding the device display in a frame and rectifying it (perspective correction)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH = 480  # screen search runs on a copy this wide


def order_corners(pts: np.ndarray) -> np.ndarray:
    """Order 4 points as top-left, top-right, bottom-right, bottom-left."""
    pts = pts.reshape(4, 2).astype(np.float32)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def _is_plausible(quad: np.ndarray, area: float, frame_area: float, min_share: float) -> bool:
    if area < min_share * frame_area or area > 0.97 * frame_area:
        return False
    if not cv2.isContourConvex(quad.reshape(4, 1, 2).astype(np.int32)):
        return False
    sides = [float(np.linalg.norm(quad[i] - quad[(i + 1) % 4])) for i in range(4)]
    # Opposite sides of a filmed rectangle stay within a factor ~1.6 of each other at sane tilts.
    return max(sides[0], sides[2]) < 1.6 * min(sides[0], sides[2]) and max(sides[1], sides[3]) < 1.6 * min(sides[1], sides[3])


def find_screen(gray: np.ndarray, min_share: float = 0.06, text: TextMass | None = None) -> np.ndarray | None:
    """Corners (4x2 float32, TL TR BR BL, full-frame pixels) of the screen-like quadrilateral, or None.

    Without text: the largest (preferring a display inside its bezel). With text: the one holding most of
    the text, the tightest of those (the display rather than the bezel around it).
    """
    return find_screens(gray, min_share, text)[0]


def find_screens(gray: np.ndarray, min_share: float = 0.06,
                 text: TextMass | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """find_screen with and without the text, from one search: (the outline holding the text, the largest)."""
    quads, scale = _screen_quads(gray, min_share)
    if not quads:
        return None, None
    quads.sort(key=lambda aq: -aq[0])
    largest = _largest(quads, scale)
    if text is None or not len(text.weights):
        return largest, largest
    return _holding_text(quads, scale, text), largest


def _screen_quads(gray: np.ndarray, min_share: float) -> tuple[list[tuple[float, np.ndarray]], float]:
    """Plausible screen quadrilaterals (area, corners) in the search copy's pixels, and that copy's scale."""
    h, w = gray.shape[:2]
    scale = min(1.0, WORK_WIDTH / w)
    small = cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else gray
    small = cv2.GaussianBlur(small, (5, 5), 0)
    median = float(np.median(small))
    edges = cv2.Canny(small, int(max(10, 0.4 * median)), int(max(30, 1.0 * median)))
    # Bridge gaps where the bezel and the background have the same brightness.
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    # Close contours of screens cut by the frame edge.
    cv2.rectangle(edges, (0, 0), (edges.shape[1] - 1, edges.shape[0] - 1), 255, 1)
    contours = list(cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0])
    # Busy backgrounds break edge outlines; a dark device or a lit display also stands out by brightness.
    _, dark = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    open_k = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    for mask in (dark, 255 - dark):
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, open_k)
        contours += list(cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0])
    frame_area = float(small.shape[0] * small.shape[1])
    quads: list[tuple[float, np.ndarray]] = []
    for cnt in contours:
        hull = cv2.convexHull(cnt)  # open edge traces have no area themselves; their hull does
        if cv2.contourArea(hull) < min_share * frame_area:
            continue
        peri = cv2.arcLength(hull, True)
        approx = cv2.approxPolyDP(hull, 0.03 * peri, True)
        if len(approx) == 4:
            quad = order_corners(approx)
        elif len(approx) in (5, 6):  # a corner cut off by the frame edge or glare: fall back to rotation only
            rect = cv2.minAreaRect(hull)
            if cv2.contourArea(hull) < 0.9 * rect[1][0] * rect[1][1]:
                continue  # the hull is no rectangle (a blob of background), not a clipped screen
            quad = order_corners(cv2.boxPoints(rect))
        else:
            continue
        area = float(cv2.contourArea(quad))
        if _is_plausible(quad, area, frame_area, min_share) and not _on_frame_edge(quad, small.shape):
            quads.append((area, quad))
    return quads, scale


def _holding_text(quads: list[tuple[float, np.ndarray]], scale: float, text: TextMass) -> np.ndarray | None:
    """The tightest outline holding (nearly) all of the text, in full-frame pixels, or None."""
    total = float(text.weights.sum())
    pts = text.points * scale
    scored = []
    for area, quad in quads:
        poly = quad.reshape(4, 1, 2)
        inside = [cv2.pointPolygonTest(poly, (float(x), float(y)), False) >= 0 for x, y in pts]
        scored.append((float(text.weights[np.array(inside)].sum()) / total, area, quad))
    top = max(sc for sc, _, _ in scored)
    if top < 0.8 and text.box is not None:
        # Stray strokes outside the screen (scenery) lower every score; the main text block decides.
        corners = text.box * scale
        centre = corners.mean(axis=0)
        corners = centre + (corners - centre) * 0.85  # the box has a margin; allow for it
        holding = [(1.0, area, quad) for _, area, quad in scored if all(
            cv2.pointPolygonTest(quad.reshape(4, 1, 2), (float(x), float(y)), False) >= 0 for x, y in corners)]
        if holding:
            scored, top = holding, 1.0
    if top < 0.8:
        return None  # no outline holds the text: better the text block than a wrong screen
    best = min((aq for aq in scored if aq[0] >= top - 0.03), key=lambda aq: aq[1])[2]
    return (best / scale).astype(np.float32)


def _largest(quads: list[tuple[float, np.ndarray]], scale: float) -> np.ndarray:
    """The largest outline (quads sorted largest first), or the lit display inside it, in full-frame pixels."""
    area, best = quads[0]
    # A bezel's outline encloses the display's own: prefer the inner, lit one.
    for inner_area, inner in quads[1:]:
        if inner_area >= 0.55 * area and _inside(inner, best):
            area, best = inner_area, inner
    return (best / scale).astype(np.float32)


def _on_frame_edge(quad: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Two or more corners on the frame border: an outline closed by the border, not a screen."""
    h, w = shape[:2]
    near = (quad[:, 0] <= 2) | (quad[:, 0] >= w - 3) | (quad[:, 1] <= 2) | (quad[:, 1] >= h - 3)
    return int(np.count_nonzero(near)) >= 2


def _inside(inner: np.ndarray, outer: np.ndarray) -> bool:
    poly = outer.reshape(4, 1, 2).astype(np.float32)
    return all(cv2.pointPolygonTest(poly, (float(x), float(y)), False) >= 0 for x, y in inner)


def rectify_transform(quad: np.ndarray, inset: float = 0.01) -> tuple[np.ndarray, tuple[int, int]]:
    """The 3x3 map rectify() applies to the quadrilateral, and the upright rectangle's size (width, height)."""
    q = order_corners(quad)
    centre = q.mean(axis=0)
    q = q + (centre - q) * inset  # trim the bezel edge so its dark border does not look like text
    width = int(round(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3]))))
    height = int(round(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1]))))
    width, height = max(width, 8), max(height, 8)
    dst = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    return cv2.getPerspectiveTransform(q, dst), (width, height)


def rectify(image: np.ndarray, quad: np.ndarray, inset: float = 0.01) -> np.ndarray:
    """Warp the quadrilateral region of image to an upright rectangle of its natural size."""
    m, size = rectify_transform(quad, inset)
    return cv2.warpPerspective(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _extend_along_line(main: np.ndarray, kept: list[tuple[int, int, int, int]], reach: int) -> None:
    """Add to the main block the text components level with it and a little beyond its clustering gap.

    Wide letter spacing leaves a glyph apart, most often a lone "1" on a seven-segment panel (only its right
    bars are lit, so a whole digit cell of gap precedes it); cut off, it turns E21 into E2."""
    x0, y0, w0, h0 = cv2.boundingRect(main)
    if w0 == 0:
        return
    for x, y, cw, ch in kept:
        centre_y = y + ch / 2
        gap = max(x - (x0 + w0), x0 - (x + cw))
        if y0 <= centre_y <= y0 + h0 and 0 < gap <= reach and ch >= 0.2 * h0:
            main[y:y + ch, x:x + cw] = 1


@dataclass(frozen=True, slots=True)
class TextMass:
    """Where text-like strokes are: component centres and areas (full-frame pixels), and the main block."""

    points: np.ndarray  # N x 2 float32, corners of text components' boxes
    weights: np.ndarray  # N float32, a quarter of the component's area each
    box: np.ndarray | None  # 4x2 rotated box around the main text block


def find_text(gray: np.ndarray) -> TextMass:
    """Text-like components of a frame (morphological gradient, closed into words and lines).

    The main block's rotated box is the fallback region when no screen outline is visible (dark LCD in a
    dark bezel): it corrects rotation, not perspective.
    """
    h, w = gray.shape[:2]
    scale = min(1.0, WORK_WIDTH / w)
    small = cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else gray
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    otsu, _ = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # A contrasty scene (dark bezel on a bright desk) pushes Otsu above the strokes of dim text on a
    # dark display; text edges are rarely softer than this.
    _, bw = cv2.threshold(grad, min(otsu, 35.0), 255, cv2.THRESH_BINARY)
    bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 5)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(bw)
    keep = np.zeros(bw.shape, np.uint8)
    pts, wts = [], []
    kept: list[tuple[int, int, int, int]] = []
    for i in range(1, n):
        x, y, cw, ch, area = stats[i]
        # Text lines: not touching the whole frame, not specks; an edge of the bezel is long, thin or
        # sparse in its box, so it is left out.
        if (ch < 0.5 * small.shape[0] and cw < 0.95 * small.shape[1] and area > 30 and ch < 4 * cw
                and cw < 20 * ch and area > 0.15 * cw * ch):
            keep[y:y + ch, x:x + cw] = 255
            kept.append((int(x), int(y), int(cw), int(ch)))
            # Box corners, not centres: a screen outline must hold whole words, not half of them.
            for px, py in ((x, y), (x + cw, y), (x, y + ch), (x + cw, y + ch)):
                pts.append((px / scale, py / scale))
                wts.append(float(area) / 4)
    points = np.array(pts, np.float32).reshape(-1, 2)
    weights = np.array(wts, np.float32)
    if not pts:
        return TextMass(points, weights, None)
    # The main block: the biggest cluster of text components (scattered background blobs stay out).
    k = max(3, small.shape[1] // 15)
    clusters = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    m, labels, cstats, _ = cv2.connectedComponentsWithStats(clusters)
    mass = np.bincount(labels.ravel(), weights=(keep > 0).ravel().astype(np.float64), minlength=m)
    mass[0] = 0
    main = np.logical_and(labels == int(np.argmax(mass)), keep > 0).astype(np.uint8)
    _extend_along_line(main, kept, 3 * k)
    pts = cv2.findNonZero(main)
    rect = cv2.minAreaRect(pts)
    angle = rect[2] if rect[2] <= 45 else rect[2] - 90  # OpenCV reports 0..90; fold to -45..45
    if abs(angle) > 12:  # people hold phones roughly level: a steep box is a stray blob, not rotated text
        x, y, bw_, bh_ = cv2.boundingRect(pts)
        rect = ((x + bw_ / 2, y + bh_ / 2), (bw_, bh_), 0.0)
    box = cv2.boxPoints(rect)
    centre = box.mean(axis=0)
    box = centre + (box - centre) * 1.25  # margin around the text
    box[:, 0] = np.clip(box[:, 0], 0, small.shape[1] - 1)
    box[:, 1] = np.clip(box[:, 1], 0, small.shape[0] - 1)
    return TextMass(points, weights, (order_corners(box) / scale).astype(np.float32))
