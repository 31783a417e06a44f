// A module script: it runs once per page load.
const says = document.getElementById('module-says');
if (says) says.textContent = `loaded at ${new Date().toLocaleTimeString()}`;
