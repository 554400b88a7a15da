// Bedside as a widget for other pages: the custom element <bedside-widget> and `mount()`.
//
//   <script type="module" src="…/www/widget.js"></script>
//   <bedside-widget bundle="pima.bdsx" lang="en" mode="assess"
//                   trusted-keys="<hex Ed25519 public key>,…" signature-policy="require"></bedside-widget>
//
//   import { mount } from '…/www/widget.js';
//   const handle = await mount(element, { bundle: 'pima.bdsx', lang: 'zh-CN' });
//   handle.setPatient({ glu: 148, … });   // or a FHIR R4 Bundle
//   handle.assessment(); handle.cards(); handle.destroy();
//   element.addEventListener('bedside:assessment', (e) => e.detail.assessment, e.detail.cards);
//
// The app runs in the element's shadow root with its own stylesheet, so the page's CSS and
// Bedside's never meet; nothing is added to `window`; each widget has its own state. Bundle
// names resolve against Bedside's own bundle directory; a full URL is used as it is.
// Signatures: the keys built into this build are trusted, plus `trustedKeys`; the policy is
// `signaturePolicy` (require | warn | off), else `require` (also when no key is trusted:
// `warn` is only ever an explicit choice).
import init, { mount as mountApp } from '../pkg/bedside.js';

const BUNDLES = new URL('../static/bundles/', import.meta.url);
const STYLESHEET = new URL('../pkg/style.css', import.meta.url).href;
const ready = init();

/** Mount Bedside into `element`; resolves to its handle. */
export async function mount(element, options = {}) {
  await ready;
  if (!options.bundle) throw new Error('mount: options.bundle is required (e.g. "pima.bdsx")');
  return mountApp(element, {
    lang: options.lang,
    mode: options.mode,
    bundle: new URL(options.bundle, BUNDLES).href,
    stylesheet: options.stylesheet ?? STYLESHEET,
    trustedKeys: options.trustedKeys,
    signaturePolicy: options.signaturePolicy,
  });
}

export class BedsideWidget extends HTMLElement {
  static get observedAttributes() { return ['bundle', 'lang', 'mode', 'trusted-keys', 'signature-policy']; }

  #handle = null;
  #mounting = null;

  connectedCallback() { this.#remount(); }

  disconnectedCallback() {
    this.#handle?.destroy();
    this.#handle = null;
  }

  attributeChangedCallback() {
    if (this.isConnected && (this.#handle || this.#mounting)) this.#remount();
  }

  #remount() {
    const attr = (name) => this.getAttribute(name) ?? undefined;
    const options = {
      bundle: attr('bundle'), lang: attr('lang'), mode: attr('mode'),
      trustedKeys: attr('trusted-keys'), signaturePolicy: attr('signature-policy'),
    };
    this.#mounting = (async () => {
      await this.#mounting?.catch(() => {});
      this.#handle?.destroy();
      this.#handle = null;
      try {
        this.#handle = await mount(this, options);
      } catch (e) {
        this.dispatchEvent(new CustomEvent('bedside:error', { detail: String(e.message ?? e), bubbles: true, composed: true }));
      }
    })();
    return this.#mounting;
  }

  /** Resolves once the widget is mounted. */
  get ready() { return this.#mounting ?? Promise.resolve(); }

  async setPatient(patient) { await this.ready; return this.#handle?.setPatient(patient); }

  assessment() { return this.#handle?.assessment() ?? null; }

  cards() { return this.#handle?.cards() ?? null; }

  /** Who the patient on screen is: `{ serial, subject, display }`, or null before mounting. */
  patient() { return this.#handle?.patient() ?? null; }
}

if (!customElements.get('bedside-widget')) customElements.define('bedside-widget', BedsideWidget);
