// Render the formulas that pymdownx.arithmatex (generic mode) marks, with the KaTeX files the
// site ships (assets/katex/, installed by `make docs`): no renderer is loaded from a CDN.
// `document$` is Material's page observable, so this also runs after instant navigation.
document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  }
});
