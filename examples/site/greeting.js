// Edit this text and save: app.js, which accepts this module, shows it at once.
export const greeting = 'Hello from a hot module.';
