// iOS Safari applies :active styles (WeUI's pressed buttons) only when the page listens for
// touches; a listener here instead of an inline ontouchstart attribute, which the CSP
// would block.
document.addEventListener("touchstart", function () {}, { passive: true });
