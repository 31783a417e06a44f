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

// A notice: one line at the bottom of the page that says why hotplate did not do something
// (it is not an error of the page's). It stays until closed, or replaced by the next one.
const NOTICE = 'hotplate-notice';

const NOTICE_STYLE = `
  :host { position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; max-width: min(560px, 92vw);
    background: #181818; color: #e8e8e8; border-left: 4px solid #f0b429; border-radius: 4px;
    padding: 10px 36px 10px 14px; font: 13px/1.45 system-ui, sans-serif;
    box-shadow: 0 8px 24px rgba(0, 0, 0, 0.35); }
  button { position: absolute; top: 4px; right: 6px; background: none; border: 0; color: #aaa;
    font-size: 18px; cursor: pointer; }
`;

class Notice extends HTMLElement {
  constructor(text) {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(NOTICE_STYLE);
    root.adoptedStyleSheets = [sheet];
    root.innerHTML = '<span role="status"></span><button title="Close" aria-label="Close">×</button>';
    root.querySelector('span').textContent = text;
    root.querySelector('button').addEventListener('click', () => this.remove());
  }
}

if (!customElements.get(NOTICE)) customElements.define(NOTICE, Notice);

export function showNotice(text) {
  document.querySelectorAll(NOTICE).forEach((notice) => notice.remove());
  document.documentElement.appendChild(new Notice(text));
}
