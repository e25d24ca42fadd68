// The widget's stylesheet, applied inside its shadow root. `.ps` starts from `all: initial`,
// so nothing the host page sets (fonts, colours, line height) is inherited into the widget.
export const WIDGET_CSS = `
:host { display: block; }
:host([hidden]) { display: none; }
.ps, .ps * { box-sizing: border-box; }
.ps {
  all: initial;
  display: block;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  font-size: 16px;
  line-height: 1.5;
  color: #1b1b1b;
  background: #fff;
  border: 1px solid #c4ccd6;
  border-radius: 8px;
  padding: 12px;
  text-align: left;
}
.ps :focus-visible { outline: 3px solid #1d5fd1; outline-offset: 2px; }
.ps label { display: block; font-weight: 600; margin: 0 0 4px; }
.ps .row { display: flex; gap: 8px; flex-wrap: wrap; }
.ps input {
  flex: 1 1 12em; min-width: 0; font: inherit; color: #1b1b1b; background: #fff;
  padding: 6px 8px; border: 2px solid #5a6472; border-radius: 6px; margin: 0;
}
.ps button {
  font: inherit; font-weight: 600; color: #fff; background: #0b3d91; border: 2px solid #0b3d91;
  border-radius: 6px; padding: 6px 14px; cursor: pointer; margin: 0;
}
.ps button:hover { background: #062b69; }
.ps .status { margin: 8px 0; color: #4a5360; font-size: 14px; min-height: 1.5em; }
.ps .status:empty { display: none; }
.ps h2 { font-size: 16px; margin: 0 0 4px; font-weight: 700; }
.ps h3 { font-size: 15px; margin: 0; font-weight: 600; }
.ps p { margin: 0; }
.ps a { color: #0a4a9e; text-decoration: underline; text-underline-offset: 0.15em; }
.ps .answer { border-left: 4px solid #0b3d91; background: #f1f5fc; padding: 8px 10px; margin: 8px 0 12px; }
.ps .answer.abstained { border-left-color: #8a5a00; background: #fdf6e7; }
.ps blockquote { margin: 0 0 4px; }
.ps .citation, .ps .meta { font-size: 14px; color: #4a5360; }
.ps .meta { margin: 2px 0 4px; }
.ps ol { list-style: none; margin: 0; padding: 0; }
.ps li { padding: 8px 0; border-top: 1px solid #d5dbe3; }
.ps li:first-child { border-top: 0; }
.ps .passage-text { font-size: 15px; overflow-wrap: anywhere; }
.ps mark { background: #ffe680; color: #1b1b1b; padding: 0 1px; }
.ps .error { color: #9b1c1c; font-weight: 600; }
.ps .more { margin-top: 8px; font-size: 14px; }
`;
