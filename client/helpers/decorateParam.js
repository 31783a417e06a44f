// A legacy parameter decorator (`constructor(@inject(X) x)`), as oxc compiles it: the decorator
// gets the target, the member's key and the parameter's index. hotplate answers
// `@oxc-project/runtime/helpers/decorateParam` with this file when that package is not
// installed.
export default function decorateParam(index, decorator) {
  return function (target, key) {
    decorator(target, key, index);
  };
}
