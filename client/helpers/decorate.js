// TypeScript's legacy decorators (`experimentalDecorators`), as oxc compiles them: each call
// applies `decorators`, last first, to a class, or to a member of `target` (a prototype, or a
// class for static members). hotplate answers `@oxc-project/runtime/helpers/decorate` with
// this file when that package is not installed.
//
//   decorate([a, b], C)                  a class: each decorator gets the class, and may
//                                        return a replacement
//   decorate([a], C.prototype, 'x', void 0)   a field: decorator(target, key)
//   decorate([a], C.prototype, 'm', null)     a method or accessor: decorator(target, key,
//                                        descriptor), which may return a new descriptor,
//                                        then defined on the target
export default function decorate(decorators, target, key, descriptor) {
  const member = arguments.length > 2;
  const withDescriptor = arguments.length > 3;
  let result = member ? descriptor : target;
  if (withDescriptor && descriptor === null) {
    result = descriptor = Object.getOwnPropertyDescriptor(target, key);
  }
  if (typeof Reflect === 'object' && typeof Reflect.decorate === 'function') {
    // reflect-metadata's polyfill brings its own.
    result = Reflect.decorate(decorators, target, key, descriptor);
  } else {
    for (let i = decorators.length - 1; i >= 0; i--) {
      const decorator = decorators[i];
      if (!decorator) continue;
      const returned = !member
        ? decorator(result)
        : withDescriptor
          ? decorator(target, key, result)
          : decorator(target, key);
      result = returned || result;
    }
  }
  if (withDescriptor && result) Object.defineProperty(target, key, result);
  return result;
}
