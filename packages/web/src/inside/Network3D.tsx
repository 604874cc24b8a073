import { useEffect, useRef, useState } from "react";
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { CSS2DObject, CSS2DRenderer } from "three/examples/jsm/renderers/CSS2DRenderer.js";
import type { Inspection } from "../train/protocol";
import {
  connectionCapacity,
  connectionLines,
  fitView,
  layoutNetwork,
  MAX_TOP_N,
  mapPixels,
  maxAbs,
  type NetworkBlock,
  type NetworkLayout,
  neuronColors,
  outlinePoints,
  predictedClass,
  structureKey,
} from "./network3d";

/** Where the camera looks from: in front, a little to the left and above, so the stacks' depth shows. */
const VIEW_DIRECTION: [number, number, number] = (() => {
  const v = new THREE.Vector3(-0.42, 0.3, 1).normalize();
  return [v.x, v.y, v.z];
})();

/** One feature-map plane and the texture its channel is painted into. */
interface Plane {
  block: number;
  channel: number;
  texture: THREE.DataTexture;
  pixels: Uint8Array;
  height: number;
  width: number;
}

/** The scene objects of one model structure; recoloured in place for every new input. */
interface Content {
  key: string;
  layout: NetworkLayout;
  /** The points the camera frames. */
  outline: Float32Array;
  group: THREE.Group;
  neurons: THREE.InstancedMesh | null;
  neuronColors: Float32Array;
  lines: THREE.LineSegments;
  planes: Plane[];
  /** One label per output neuron (empty when the net has no output block). */
  classLabels: HTMLElement[];
  /** One label per block, in the blocks' order. */
  layerLabels: HTMLElement[];
  outputBlock: number;
  winnerRing: THREE.Mesh | null;
  disposables: { dispose(): void }[];
}

interface Stage {
  renderer: THREE.WebGLRenderer;
  labels: CSS2DRenderer;
  camera: THREE.PerspectiveCamera;
  controls: OrbitControls;
  scene: THREE.Scene;
  content: Content | null;
  frames: number;
  dirty: boolean;
}

/**
 * Whether WebGL runs on the CPU (SwiftShader, llvmpipe): there multisampling
 * costs more than the whole scene, so the view draws without it.
 */
function softwareGl(): boolean {
  const gl = document.createElement("canvas").getContext("webgl2");
  if (!gl) return true;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return /swiftshader|llvmpipe|software/i.test(name);
}

/** Pixels kept free right of the network for the output's class names ("triangle · 97%"), at most. */
const CLASS_NAMES_PX = 120;

/**
 * Points the camera at the network from just far enough that all of it is in view, centred in the panel
 * less a strip on the right for the class names: they are HTML of a fixed pixel size, so the wider the
 * network, the more of the scene they would cover (or run past the panel's edge) if framed with the rest.
 */
function fitCamera(s: Stage) {
  if (!s.content) return;
  const width = s.renderer.domElement.clientWidth || 1;
  const strip = s.content.classLabels.length > 0 ? Math.min(CLASS_NAMES_PX, width * 0.3) : 0;
  const fit = fitView(s.content.outline, VIEW_DIRECTION, s.camera.fov, s.camera.aspect * (1 - strip / width));
  // Move the view right by half the strip (world units per pixel at the target's depth): the network keeps
  // the panel's left part and the strip stays free.
  const worldPerPixel = (2 * fit.distance * Math.tan((s.camera.fov * Math.PI) / 360) * s.camera.aspect) / width;
  const right = new THREE.Vector3(VIEW_DIRECTION[2], 0, -VIEW_DIRECTION[0]).normalize();
  const target = new THREE.Vector3(...fit.target).addScaledVector(right, (worldPerPixel * strip) / 2);
  const { distance } = fit;
  s.controls.target.copy(target);
  s.camera.position.copy(target).addScaledVector(new THREE.Vector3(...VIEW_DIRECTION), distance);
  s.camera.near = distance / 100;
  s.camera.far = distance * 20;
  s.camera.updateProjectionMatrix();
  s.controls.update();
  s.dirty = true;
}

/** A CSS2D label: HTML text that follows a point of the scene (so tests and screen readers can read it). */
function label(text: string, className: string, at: [number, number, number], center: [number, number]) {
  const el = document.createElement("div");
  el.className = className;
  el.textContent = text;
  const obj = new CSS2DObject(el);
  obj.position.set(...at);
  obj.center.set(...center);
  return { el, obj };
}

/** Builds the scene objects for a model structure: neurons, line buffers, map planes and labels. */
function buildContent(key: string, blocks: readonly NetworkBlock[], maxChannels: number): Content {
  const layout = layoutNetwork(blocks, maxChannels);
  const group = new THREE.Group();
  const disposables: { dispose(): void }[] = [];
  const count = layout.neuronRadii.length;
  let neurons: THREE.InstancedMesh | null = null;
  const colors = new Float32Array(count * 3);
  if (count > 0) {
    // 80 triangles: round enough at neuron size, cheap enough for a thousand of them on software GL.
    const geometry = new THREE.IcosahedronGeometry(1, 1);
    const material = new THREE.MeshBasicMaterial();
    neurons = new THREE.InstancedMesh(geometry, material, count);
    const m = new THREE.Matrix4();
    for (let i = 0; i < count; i++) {
      const r = layout.neuronRadii[i]!;
      m.makeScale(r, r, r).setPosition(
        layout.neuronPositions[i * 3]!,
        layout.neuronPositions[i * 3 + 1]!,
        layout.neuronPositions[i * 3 + 2]!,
      );
      neurons.setMatrixAt(i, m);
    }
    neurons.instanceColor = new THREE.InstancedBufferAttribute(colors, 3);
    neurons.computeBoundingSphere();
    group.add(neurons);
    disposables.push(geometry, material);
  }
  const capacity = connectionCapacity(blocks, MAX_TOP_N);
  const lineGeometry = new THREE.BufferGeometry();
  lineGeometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(capacity * 6), 3));
  lineGeometry.setAttribute("color", new THREE.BufferAttribute(new Float32Array(capacity * 6), 3));
  lineGeometry.setDrawRange(0, 0);
  const lineMaterial = new THREE.LineBasicMaterial({ vertexColors: true, transparent: true, opacity: 0.6 });
  const lines = new THREE.LineSegments(lineGeometry, lineMaterial);
  lines.frustumCulled = false; // its bounding sphere would go stale as the lines change
  group.add(lines);
  disposables.push(lineGeometry, lineMaterial);
  if (layout.links.length > 0) {
    // A graph's merges and skips: grey lines from block to block, under the coloured connections.
    const linkGeometry = new THREE.BufferGeometry();
    linkGeometry.setAttribute("position", new THREE.BufferAttribute(Float32Array.from(layout.links.flat(2)), 3));
    const linkMaterial = new THREE.LineBasicMaterial({ color: 0x8a8f98 });
    group.add(new THREE.LineSegments(linkGeometry, linkMaterial));
    disposables.push(linkGeometry, linkMaterial);
  }

  const planes: Plane[] = [];
  const planeGeometries = new Map<number, THREE.PlaneGeometry>();
  for (const spot of layout.planes) {
    const [, height = 1, width = 1] = blocks[spot.block]!.shape;
    let geometry = planeGeometries.get(spot.size);
    if (!geometry) {
      geometry = new THREE.PlaneGeometry(spot.size, spot.size);
      planeGeometries.set(spot.size, geometry);
      disposables.push(geometry);
    }
    const pixels = new Uint8Array(height * width * 4);
    const texture = new THREE.DataTexture(pixels, width, height, THREE.RGBAFormat, THREE.UnsignedByteType);
    texture.magFilter = THREE.NearestFilter;
    texture.minFilter = THREE.NearestFilter;
    texture.generateMipmaps = false;
    const material = new THREE.MeshBasicMaterial({ map: texture, side: THREE.DoubleSide });
    const mesh = new THREE.Mesh(geometry, material);
    mesh.position.set(...spot.center);
    group.add(mesh);
    disposables.push(texture, material);
    planes.push({ block: spot.block, channel: spot.channel, texture, pixels, height, width });
  }

  const layerLabels: HTMLElement[] = [];
  blocks.forEach((block, b) => {
    const { el, obj } = label(block.label, "n3d-label", layout.labelAnchors[b]!, [0.5, layout.labelBelow[b] ? 0 : 1]);
    layerLabels.push(el);
    const channels = block.kind === "maps" ? (block.shape[0] ?? 1) : 1;
    const shown = layout.shownChannels[b]!;
    if (shown < channels) {
      const note = document.createElement("small");
      note.textContent = `showing ${shown} of ${channels}`;
      el.append(note);
    }
    group.add(obj);
  });
  const outputBlock = blocks.findIndex((b) => b.role === "output");
  const classLabels: HTMLElement[] = [];
  let winnerRing: THREE.Mesh | null = null;
  if (outputBlock >= 0) {
    const start = layout.neuronStart[outputBlock]!;
    for (let i = 0; i < blocks[outputBlock]!.values.length; i++) {
      const p = layout.neuronPositions.subarray((start + i) * 3, (start + i) * 3 + 3);
      const r = layout.neuronRadii[start + i]!;
      const { el, obj } = label("", "n3d-class", [p[0]! + r + 1.2, p[1]!, p[2]!], [0, 0.5]);
      classLabels.push(el);
      group.add(obj);
    }
    const r = layout.neuronRadii[start]!;
    const ringGeometry = new THREE.RingGeometry(r * 1.35, r * 1.75, 32);
    // Amber (the focus colour) reads on both the light and the dark background.
    const ringMaterial = new THREE.MeshBasicMaterial({ color: 0xf59e0b, side: THREE.DoubleSide });
    winnerRing = new THREE.Mesh(ringGeometry, ringMaterial);
    group.add(winnerRing);
    disposables.push(ringGeometry, ringMaterial);
  }
  return {
    key,
    layout,
    outline: outlinePoints(layout),
    group,
    neurons,
    neuronColors: colors,
    lines,
    planes,
    classLabels,
    layerLabels,
    outputBlock,
    winnerRing,
    disposables,
  };
}

/**
 * Keeps the labels readable: one that would stick out of the panel at the side is moved in, and one that
 * would cover a label already shown is hidden, the most telling first: the predicted class, the output's
 * and the input's labels, the layers from left to right, then the other class names. A deep network in a
 * phone-wide panel has more labels than room, and a pile of overlapping text reads as none.
 */
function declutterLabels(c: Content, panel: DOMRect) {
  const winner = c.classLabels.filter((el) => el.classList.contains("winner"));
  const otherClasses = c.classLabels.filter((el) => !el.classList.contains("winner"));
  const output = c.outputBlock >= 0 ? [c.layerLabels[c.outputBlock]!] : [];
  const layers = c.layerLabels.filter((_, b) => b !== c.outputBlock);
  const ordered = [...winner, ...output, ...layers, ...otherClasses];
  // The renderer places labels with `transform`; `translate` moves them on top of that. Measured unmoved.
  for (const el of ordered) el.style.translate = "";
  const shown: { left: number; right: number; top: number; bottom: number }[] = [];
  for (const el of ordered) {
    const r = el.getBoundingClientRect();
    // Out of the camera's view (the renderer took it off the page): nothing to cover.
    if (r.width === 0) continue;
    const shift = r.left < panel.left ? panel.left - r.left : r.right > panel.right ? panel.right - r.right : 0;
    const box = { left: r.left + shift, right: r.right + shift, top: r.top, bottom: r.bottom };
    const covers = shown.some(
      (k) => box.left < k.right && k.left < box.right && box.top < k.bottom && k.top < box.bottom,
    );
    el.style.translate = shift === 0 ? "" : `${shift}px 0`;
    el.style.visibility = covers ? "hidden" : "";
    if (!covers) shown.push(box);
  }
}

/** Frees a structure's GPU buffers and textures and takes its labels off the page. */
function disposeContent(scene: THREE.Scene, content: Content) {
  scene.remove(content.group); // CSS2DObjects remove their elements when taken out of the scene
  for (const d of content.disposables) d.dispose();
  content.neurons?.dispose();
}

/** Recolours a structure for a new input and redraws its `topN` strongest connections; returns the line count. */
function updateContent(
  c: Content,
  blocks: readonly NetworkBlock[],
  weights: Inspection["weights"],
  classes: readonly string[],
  topN: number,
): number {
  if (c.neurons) {
    neuronColors(blocks, c.layout, c.neuronColors);
    c.neurons.instanceColor!.needsUpdate = true;
  }
  const position = c.lines.geometry.getAttribute("position") as THREE.BufferAttribute;
  const color = c.lines.geometry.getAttribute("color") as THREE.BufferAttribute;
  const drawn = connectionLines(blocks, c.layout, weights, Math.min(topN, MAX_TOP_N), {
    positions: position.array as Float32Array,
    colors: color.array as Float32Array,
  });
  position.needsUpdate = true;
  color.needsUpdate = true;
  c.lines.geometry.setDrawRange(0, drawn.count * 2);
  for (const p of c.planes) {
    const size = p.height * p.width;
    const values = blocks[p.block]!.values.subarray(p.channel * size, (p.channel + 1) * size);
    // Each map on its own scale: a weak channel's pattern would otherwise be a flat grey.
    mapPixels(values, p.height, p.width, maxAbs(values), p.pixels);
    p.texture.needsUpdate = true;
  }
  if (c.outputBlock >= 0 && c.winnerRing) {
    const logits = blocks[c.outputBlock]!.values;
    const win = predictedClass(logits, classes);
    c.classLabels.forEach((el, i) => {
      const name = classes[i] ?? `class ${i}`;
      el.textContent = i === win.index ? `${name} · ${(win.probability * 100).toFixed(0)}%` : name;
      el.classList.toggle("winner", i === win.index);
      if (i === win.index) el.dataset.testid = "n3d-prediction";
      else delete el.dataset.testid;
    });
    const at = (c.layout.neuronStart[c.outputBlock]! + win.index) * 3;
    c.winnerRing.position.set(
      c.layout.neuronPositions[at]!,
      c.layout.neuronPositions[at + 1]!,
      c.layout.neuronPositions[at + 2]!,
    );
  }
  return drawn.count;
}

/**
 * The network in 3D with three.js, for the current input: neurons as spheres
 * and conv layers as stacks of feature-map planes, coloured by sign and size,
 * the `topN` strongest incoming connections of each dense neuron as lines,
 * HTML labels on every layer and the predicted class. Scene objects are built
 * once per model structure and only recoloured for new inputs. Loaded lazily
 * (three.js stays out of the first screen). Counts the frames it renders in
 * `data-frames`, the geometries and textures it holds on the GPU in
 * `data-gpu-objects`, and the main-thread milliseconds of the last frame and
 * of the last recolouring in `data-render-ms` and `data-update-ms`, for the
 * benchmark and the tests.
 */
export default function Network3D(props: {
  blocks: NetworkBlock[];
  weights: Inspection["weights"];
  classes: readonly string[];
  topN: number;
  maxChannels: number;
  rotate: boolean;
}) {
  const { blocks, weights, classes, topN, maxChannels, rotate } = props;
  const host = useRef<HTMLDivElement>(null);
  const stage = useRef<Stage | null>(null);
  const [lineCount, setLineCount] = useState(0);

  useEffect(() => {
    const el = host.current!;
    const renderer = new THREE.WebGLRenderer({
      antialias: !softwareGl(),
      alpha: true,
      preserveDrawingBuffer: true,
    });
    // Colours are given in sRGB and shown as they are.
    renderer.outputColorSpace = THREE.LinearSRGBColorSpace;
    renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    el.appendChild(renderer.domElement);
    renderer.domElement.setAttribute(
      "aria-label",
      "The network in 3D: drag to orbit, scroll to zoom, right-drag to pan",
    );
    renderer.domElement.tabIndex = 0;
    const labels = new CSS2DRenderer();
    labels.domElement.className = "n3d-labels";
    el.appendChild(labels.domElement);
    const camera = new THREE.PerspectiveCamera(40, 1, 0.1, 5000);
    const controls = new OrbitControls(camera, renderer.domElement);
    controls.enableDamping = true;
    controls.autoRotateSpeed = 1.5;
    controls.listenToKeyEvents(renderer.domElement);
    const s: Stage = {
      renderer,
      labels,
      camera,
      controls,
      scene: new THREE.Scene(),
      content: null,
      frames: 0,
      dirty: true,
    };
    stage.current = s;
    controls.addEventListener("change", () => {
      s.dirty = true;
    });

    const resize = () => {
      const width = el.clientWidth || 300;
      const height = el.clientHeight || 300;
      renderer.setSize(width, height, false);
      renderer.domElement.style.width = "100%";
      renderer.domElement.style.height = "100%";
      labels.setSize(width, height);
      camera.aspect = width / height;
      // A new size refits the view: the network should stay whole in its panel.
      fitCamera(s);
      camera.updateProjectionMatrix();
      s.dirty = true;
    };
    const observer = new ResizeObserver(resize);
    observer.observe(el);
    resize();

    let raf = 0;
    const loop = () => {
      raf = requestAnimationFrame(loop);
      controls.update(); // damping and auto-rotation move the camera between inputs
      if (!s.dirty && !controls.autoRotate) return;
      s.dirty = false;
      const start = performance.now();
      renderer.render(s.scene, camera);
      labels.render(s.scene, camera);
      if (s.content) declutterLabels(s.content, labels.domElement.getBoundingClientRect());
      s.frames++;
      el.dataset.frames = String(s.frames);
      el.dataset.renderMs = (performance.now() - start).toFixed(2);
      const { geometries, textures } = renderer.info.memory;
      el.dataset.gpuObjects = String(geometries + textures);
    };
    raf = requestAnimationFrame(loop);
    return () => {
      cancelAnimationFrame(raf);
      observer.disconnect();
      controls.dispose();
      if (s.content) disposeContent(s.scene, s.content);
      renderer.dispose();
      renderer.domElement.remove();
      labels.domElement.remove();
      stage.current = null;
    };
  }, []);

  // A new structure (another model, or another channel cap) replaces the scene objects; a new input only recolours.
  useEffect(() => {
    const s = stage.current;
    if (!s) return;
    const key = structureKey(blocks, maxChannels);
    if (s.content?.key !== key) {
      if (s.content) disposeContent(s.scene, s.content);
      s.content = buildContent(key, blocks, maxChannels);
      s.scene.add(s.content.group);
      fitCamera(s);
    }
    const start = performance.now();
    setLineCount(updateContent(s.content, blocks, weights, classes, topN));
    host.current!.dataset.updateMs = (performance.now() - start).toFixed(2);
    s.dirty = true;
  }, [blocks, weights, classes, topN, maxChannels]);

  useEffect(() => {
    if (stage.current) stage.current.controls.autoRotate = rotate;
  }, [rotate]);

  const reset = () => {
    const s = stage.current;
    if (!s) return;
    s.controls.autoRotate = false;
    fitCamera(s);
    s.controls.autoRotate = rotate;
  };

  return (
    <div className="n3d">
      <div ref={host} className="network3d" data-testid="network-3d" data-frames="0" data-lines={lineCount}>
        <button type="button" className="n3d-reset" onClick={reset}>
          Reset view
        </button>
      </div>
      <p className="muted n3d-caption" data-testid="connection-count">
        {lineCount > 0
          ? `Showing the ${topN} strongest inputs per neuron: ${lineCount} lines, coloured by weight × input.`
          : "No connections to show between these layers."}{" "}
        {blocks.some((b) => b.kind === "maps") &&
          "Feature maps feed the next layer through filters (see the grid below), so lines join dense layers only. "}
        Drag to orbit, scroll to zoom, right-drag to pan.
      </p>
    </div>
  );
}
