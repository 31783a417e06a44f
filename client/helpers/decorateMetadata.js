// `emitDecoratorMetadata`'s design types, as oxc compiles them: recorded with reflect-metadata's
// `Reflect.metadata` when the page loaded that polyfill, and nothing otherwise. hotplate answers
// `@oxc-project/runtime/helpers/decorateMetadata` with this file when that package is not
// installed.
export default function decorateMetadata(key, value) {
  if (typeof Reflect === 'object' && typeof Reflect.metadata === 'function') {
    return Reflect.metadata(key, value);
  }
  return undefined;
}
