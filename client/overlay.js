// The error overlay: a custom element with its own shadow DOM, so the page's styles cannot
// reach it and it cannot restyle the page. It shows the message, where the error is
// (file:line:column) and the code frame around it.

const TAG = 'hotplate-error-overlay';

const STYLE = `
  :host { position: fixed; inset: 0; z-index: 2147483647; display: flex; align-items: flex-start;
    justify-content: center; background: rgba(0, 0, 0, 0.66); font: 14px/1.5 ui-monospace, monospace; }
  .window { margin-top: 8vh; max-width: min(960px, 92vw); max-height: 80vh; overflow: auto;
    background: #181818; color: #e8e8e8; border-top: 6px solid #ff5555; border-radius: 6px;
    padding: 20px 24px; box-shadow: 0 16px 48px rgba(0, 0, 0, 0.5); }
  .message { color: #ff7070; font-weight: bold; white-space: pre-wrap; margin: 0 0 8px; }
  .file { color: #9cdcfe; margin: 0 0 12px; }
  pre { margin: 0; padding: 12px; background: #101010; border-radius: 4px; overflow: auto; }
  .tip { color: #888; margin-top: 12px; }
  button { float: right; background: none; border: 0; color: #aaa; font-size: 20px; cursor: pointer; }
`;

class ErrorOverlay extends HTMLElement {
  constructor(report) {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const where = [report.file, report.line, report.column].filter((x) => x != null).join(':');
    // A constructed stylesheet: a page whose Content-Security-Policy forbids inline styles
    // still shows the overlay styled.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
    root.innerHTML = `
      <div class="window" role="alert">
        <button title="Close (Esc)" aria-label="Close">×</button>
        <p class="message"></p>
        <p class="file"></p>
        <pre class="frame"></pre>
        <p class="tip">Fix the file and save: this overlay goes away by itself.</p>
      </div>`;
    root.querySelector('.message').textContent = report.message;
    root.querySelector('.file').textContent = where;
    root.querySelector('.frame').textContent = report.frame || '';
    root.querySelector('button').addEventListener('click', () => this.remove());
    this.onKey = (event) => { if (event.key === 'Escape') this.remove(); };
  }
  connectedCallback() { document.addEventListener('keydown', this.onKey); }
  disconnectedCallback() { document.removeEventListener('keydown', this.onKey); }
}

if (!customElements.get(TAG)) customElements.define(TAG, ErrorOverlay);

export function showError(report) {
  clearError();
  document.documentElement.appendChild(new ErrorOverlay(report));
}

export function clearError() {
  document.querySelectorAll(TAG).forEach((overlay) => overlay.remove());
}
