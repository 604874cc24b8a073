import { useEffect, useRef } from "react";
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import type { NetworkScene } from "./network3d";

interface Stage {
  renderer: THREE.WebGLRenderer;
  camera: THREE.PerspectiveCamera;
  controls: OrbitControls;
  points: THREE.Points;
  lines: THREE.LineSegments;
  frames: number;
  dirty: boolean;
  /** Whether the camera has been fitted to the network yet. */
  fitted: boolean;
}

/** Where the camera looks from: in front of the input, a little above, at an angle, so all layers show. */
const VIEW_DIRECTION = new THREE.Vector3(-0.55, 0.35, 1).normalize();

/** Points the camera at the network's centre from far enough that its bounding sphere fits the view. */
function fitCamera(s: Stage) {
  const sphere = s.points.geometry.boundingSphere;
  if (!sphere) return;
  const vfov = THREE.MathUtils.degToRad(s.camera.fov);
  const hfov = 2 * Math.atan(Math.tan(vfov / 2) * s.camera.aspect);
  const distance = (sphere.radius * 1.05) / Math.sin(Math.min(vfov, hfov) / 2);
  s.controls.target.copy(sphere.center);
  s.camera.position.copy(sphere.center).addScaledVector(VIEW_DIRECTION, distance);
  s.camera.updateProjectionMatrix();
  s.controls.update();
  s.dirty = true;
}

/** Replaces a geometry attribute with new values (a new buffer when the length changed). */
function setAttribute(geometry: THREE.BufferGeometry, name: string, values: Float32Array) {
  const old = geometry.getAttribute(name) as THREE.BufferAttribute | undefined;
  if (old && old.array.length === values.length) {
    (old.array as Float32Array).set(values);
    old.needsUpdate = true;
  } else {
    geometry.setAttribute(name, new THREE.BufferAttribute(values.slice(), 3));
  }
  geometry.computeBoundingSphere();
}

/**
 * The network in 3D with three.js: neurons as points, the strongest incoming
 * connections as lines; drag to orbit, wheel to zoom, right-drag to pan.
 * Loaded lazily (three.js stays out of the first screen). Counts the frames it
 * renders in `data-frames`, for the benchmark and the tests.
 */
export default function Network3D({ scene, rotate }: { scene: NetworkScene; rotate: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const stage = useRef<Stage | null>(null);

  useEffect(() => {
    const el = host.current!;
    const renderer = new THREE.WebGLRenderer({ antialias: true, alpha: true, preserveDrawingBuffer: true });
    renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    el.appendChild(renderer.domElement);
    renderer.domElement.setAttribute(
      "aria-label",
      "The network in 3D: drag to orbit, scroll to zoom, right-drag to pan",
    );
    renderer.domElement.tabIndex = 0;
    const three = new THREE.Scene();
    const camera = new THREE.PerspectiveCamera(45, 1, 0.1, 2000);
    const controls = new OrbitControls(camera, renderer.domElement);
    controls.enableDamping = true;
    controls.listenToKeyEvents(renderer.domElement);
    const points = new THREE.Points(
      new THREE.BufferGeometry(),
      new THREE.PointsMaterial({ size: 0.9, vertexColors: true, sizeAttenuation: true }),
    );
    const lines = new THREE.LineSegments(
      new THREE.BufferGeometry(),
      new THREE.LineBasicMaterial({ vertexColors: true, transparent: true, opacity: 0.55 }),
    );
    three.add(lines, points);
    const s: Stage = { renderer, camera, controls, points, lines, frames: 0, dirty: true, fitted: false };
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
      camera.aspect = width / height;
      camera.updateProjectionMatrix();
      // A new width (a rotated phone) refits the view: the network should stay whole on screen.
      if (s.fitted) fitCamera(s);
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
      renderer.render(three, camera);
      s.frames++;
      el.dataset.frames = String(s.frames);
    };
    raf = requestAnimationFrame(loop);
    return () => {
      cancelAnimationFrame(raf);
      observer.disconnect();
      controls.dispose();
      points.geometry.dispose();
      lines.geometry.dispose();
      (points.material as THREE.Material).dispose();
      (lines.material as THREE.Material).dispose();
      renderer.dispose();
      renderer.domElement.remove();
      stage.current = null;
    };
  }, []);

  useEffect(() => {
    const s = stage.current;
    if (!s) return;
    setAttribute(s.points.geometry, "position", scene.pointPositions);
    setAttribute(s.points.geometry, "color", scene.pointColors);
    setAttribute(s.lines.geometry, "position", scene.linePositions);
    setAttribute(s.lines.geometry, "color", scene.lineColors);
    if (!s.fitted) {
      s.fitted = true;
      fitCamera(s);
    }
    s.dirty = true;
  }, [scene]);

  useEffect(() => {
    if (stage.current) stage.current.controls.autoRotate = rotate;
  }, [rotate]);

  return <div ref={host} className="network3d" data-testid="network-3d" data-frames="0" />;
}
