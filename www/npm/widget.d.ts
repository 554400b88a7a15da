// Types for bedside-cds (the widget and mount API). The headless API's types are in
// engine/bedside_engine.d.ts (import "bedside-cds/engine").

/** A CDS Hooks card (https://cds-hooks.hl7.org/): Bedside's estimate, a guideline rule, or trial options. */
export interface CdsCard {
  summary: string; // at most 140 characters
  indicator: 'info' | 'warning' | 'critical';
  detail?: string;
  source: { label: string; url?: string; topic?: { display?: string } };
  suggestions: { label: string; isRecommended?: boolean }[];
  links: { label: string; url: string; type: 'absolute' | 'smart' }[];
}

/** What the `bedside:assessment` event carries (both null while the form is incomplete). */
export interface AssessmentDetail {
  assessment: Assessment | null;
  cards: { cards: CdsCard[] } | null;
  /** The patient these are about. */
  patient: PatientOnScreen | null;
  /** The model bundle they rest on and who signed it. */
  bundle: { id: string; sha256: string; signature: 'verified' | 'unsigned' | 'unknown-signer' | 'not-checked'; signer: string | null } | null;
}

/** The assessment, as `Engine.assess` returns it (abridged: see the README). */
export interface Assessment {
  bundle: string;
  model: string;
  probabilities: { code: string; label: { en: string; zh: string }; probability: number; raw: number }[];
  /** The most probable class. */
  top: number;
  /** The class the estimate and its explanation are about: a binary model's positive class (the outcome of interest), else the most probable. */
  focus: number;
  /** That class's share in the training population (Kaplan–Meier risk for time-to-event outcomes): show it beside the estimate. */
  base_rate: number;
  /** Held-out AUC with its 95 % interval; when `better_than_chance` is false, show the base rate, not the estimate, as the patient's risk. */
  discrimination: { auc: number; low: number; high: number; better_than_chance: boolean };
  /** Missing inputs ranked by how far measuring each could move the estimate (probabilities of `focus`). */
  next_measurements: { field: string; current: number; low: number; high: number; expected_change: number }[];
  [more: string]: unknown;
}

export interface MountOptions {
  /** The bundle: a file name in Bedside's bundle directory, or its URL (needed with the npm package). */
  bundle: string;
  lang?: 'en' | 'zh-CN';
  mode?: 'assess' | 'teach';
  /** The URL of style.css; defaults to the one beside widget.js. */
  stylesheet?: string;
  /** Ed25519 public keys (64 hex digits each) trusted besides the ones built in. */
  trustedKeys?: string[] | string;
  /** What to do with unsigned bundles and unknown signers; default `require` when any key is trusted, else `warn`. */
  signaturePolicy?: 'require' | 'warn' | 'off';
}

export interface WidgetHandle {
  /** A patient as field → value (validated: throws with the reason), or a FHIR R4 Bundle, Patient or Observation. */
  setPatient(patient: Record<string, unknown>): void;
  assessment(): Assessment | null;
  cards(): { cards: CdsCard[] } | null;
  /** Who the patient on screen is; `subject` is the FHIR `Patient/<id>` its values came from, or null. */
  patient(): PatientOnScreen | null;
  destroy(): void;
}

/** The patient on screen: a new `serial` with every new patient. */
export interface PatientOnScreen {
  serial: number;
  subject: string | null;
  display: string;
}

/** Mount Bedside into `element` (in its shadow root). */
export function mount(element: HTMLElement, options: MountOptions): Promise<WidgetHandle>;

/** <bedside-widget bundle="…" lang="en|zh-CN" mode="assess|teach" trusted-keys="hex,…" signature-policy="require|warn|off">. */
export class BedsideWidget extends HTMLElement {
  readonly ready: Promise<void>;
  setPatient(patient: Record<string, unknown>): Promise<void>;
  assessment(): Assessment | null;
  cards(): { cards: CdsCard[] } | null;
  patient(): PatientOnScreen | null;
}

declare global {
  interface HTMLElementTagNameMap { 'bedside-widget': BedsideWidget }
  interface HTMLElementEventMap { 'bedside:assessment': CustomEvent<AssessmentDetail>; 'bedside:error': CustomEvent<string> }
}
