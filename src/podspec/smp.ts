/**
 * Strategic merge patch for PodSpec-shaped JSON, with the semantics of apimachinery's
 * `strategicpatch.StrategicMergePatch(original, patch, corev1.PodSpec{})` as the API server runs it
 * (parallel lists merged, unmatched nulls ignored). Merge keys and strategies come from smp-schema.ts.
 *
 * List order follows Go exactly: matched elements merge in place, new ones are appended, then patch elements
 * (in patch order) are interleaved with server-only elements (in original order) by `normalizeElementOrder`.
 *
 * Differences from calling the Go function on raw JSON are listed in docs/compatibility.md ("Strategic merge patch"). In short: the
 * result is what the API server would persist, so `$`-directive keys and null fields left behind by Go's
 * merge are removed from the result instead of being dropped later by a struct decode.
 */
import type { V1PodSpec } from '@kubernetes/client-node';
import { POD_SPEC_ROOT, POD_SPEC_TYPES, type FieldSchema } from './smp-schema.js';

type JsonObject = Record<string, unknown>;

export type MergeResult<T = JsonObject> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

/**
 * Applies `patch` to `original` (both PodSpec JSON) like the API server does for
 * `Content-Type: application/strategic-merge-patch+json`. Neither input is modified; the result shares nothing
 * with them. An error is the inner text of apimachinery's error; upstream's caller prefixes it with
 * `error applying strategic patch: `, and so should ours.
 *
 * Upstream merges Go-encoded structs; to get its result, merge `goRoundTrip(original)` with
 * `goRoundTrip(patch, { keepDirectives: true })`, after giving a patch without `containers` an empty list.
 */
export function strategicMergePodSpec(original: unknown, patch: unknown): MergeResult<V1PodSpec> {
  return strategicMerge(original, patch, POD_SPEC_ROOT) as MergeResult<V1PodSpec>;
}

/** As {@link strategicMergePodSpec}, for any struct named in `POD_SPEC_TYPES` (e.g. `Container`). */
export function strategicMerge(original: unknown, patch: unknown, typeName: string): MergeResult {
  if (!(typeName in POD_SPEC_TYPES)) return { ok: false, error: `unknown type ${typeName}` };
  const originalMap = documentRoot(original);
  const patchMap = documentRoot(patch);
  if (originalMap === undefined || patchMap === undefined) {
    return { ok: false, error: 'invalid JSON document' };
  }
  try {
    const merged = mergeMap(originalMap, patchMap, { struct: typeName });
    return { ok: true, value: stripLeftovers(merged) as JsonObject };
  } catch (err) {
    if (err instanceof PatchError) return { ok: false, error: err.message };
    throw err;
  }
}

/** Raised deep inside the recursion and turned into a result value at the entry point; never escapes. */
class PatchError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Input: a private, validated copy, because the merge (like Go's) edits both documents in place.

/** Go decodes a JSON `null` document into a nil map, which merges like `{}`. */
function documentRoot(doc: unknown): JsonObject | undefined {
  if (doc === null || doc === undefined) return {};
  if (!isJsonObject(doc)) return undefined;
  return cloneJson(doc) as JsonObject | undefined;
}

/**
 * Nesting we accept. Go's decoder stops at 10000; the merge recurses a few frames per level, so we stop
 * earlier to stay inside the JavaScript stack. Real pod specs nest about 15 deep.
 */
const MAX_DEPTH = 1000;

/**
 * Copies a JSON value; `undefined` when it holds something JSON cannot (functions, NaN, Dates, cycles) or
 * nests deeper than MAX_DEPTH.
 */
function cloneJson(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = cloneJson(value[i], depth + 1);
      if (item === undefined) return undefined;
      out[i] = item;
    }
    return out;
  }
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const item = cloneJson(value[key], depth + 1);
      if (item === undefined) {
        if (value[key] === undefined) continue; // an absent optional field, as JSON.stringify treats it
        return undefined;
      }
      setKey(out, key, item);
    }
    return out;
  }
  return undefined;
}

/** Inside the merge every object is one of our plain copies, so this test can be cheap. */
function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Plain objects and model class instances are JSON objects; Date, Map, RegExp and the like are not. */
function isJsonObject(value: unknown): value is JsonObject {
  return isObject(value) && Object.prototype.toString.call(value) === '[object Object]';
}

/** `__proto__` is an ordinary key in JSON; plain assignment would replace the prototype instead. */
function setKey(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function removeKey(target: JsonObject, key: string): void {
  Reflect.deleteProperty(target, key);
}

function has(target: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

// ---------------------------------------------------------------------------------------------------------
// Schema lookups (LookupPatchMetadataForStruct / ForSlice).

/** Where we are in the Go type tree: a known struct, or some other Go kind (map, slice, string, ...). */
type SchemaNode = { readonly struct: string } | { readonly kind: string };

interface FieldLookup {
  readonly field: FieldSchema;
  readonly node: SchemaNode;
}

const lowerCaseFieldNames: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  Object.entries(POD_SPEC_TYPES).map(([type, fields]) => {
    const byLower = new Map<string, string>();
    for (const name of Object.keys(fields)) {
      if (!byLower.has(name.toLowerCase())) byLower.set(name.toLowerCase(), name);
    }
    return [type, byLower] as const;
  }),
);

function goStructName(type: string): string {
  return type.startsWith('metav1.') ? type.slice('metav1.'.length) : type;
}

function fieldNode(field: FieldSchema): SchemaNode {
  if (field.kind === 'object' && field.ref !== undefined) return { struct: field.ref };
  if (field.kind === 'list') return { kind: 'slice' };
  if (field.kind === 'map') return { kind: 'map' };
  return { kind: scalarKind(field) };
}

function scalarKind(field: FieldSchema): string {
  if (typeof field.zero === 'number') return 'int32';
  if (typeof field.zero === 'boolean') return 'bool';
  return 'string';
}

/** Finds the field encoding/json would fill for `key`: exact name first, else the first case-insensitive one. */
function lookupField(node: SchemaNode, key: string): FieldLookup {
  if (!('struct' in node)) {
    throw new PatchError(`merging an object in json but data type is not struct, instead is: ${node.kind}`);
  }
  const fields = POD_SPEC_TYPES[node.struct] ?? {};
  const name = has(fields, key) ? key : lowerCaseFieldNames.get(node.struct)?.get(key.toLowerCase());
  const field = name === undefined ? undefined : fields[name];
  if (field === undefined) {
    throw new PatchError(
      `unable to find api field in struct ${goStructName(node.struct)} for the json field "${key}"`,
    );
  }
  return { field, node: fieldNode(field) };
}

/** The element type of a list field; a pointer to a struct counts as a list of that struct, as in Go. */
function lookupListField(node: SchemaNode, key: string): FieldLookup {
  const { field } = lookupField(node, key);
  if (field.kind === 'list') {
    return { field, node: field.ref === undefined ? { kind: 'string' } : { struct: field.ref } };
  }
  if (field.pointer === true) return { field, node: fieldNode(field) };
  throw new PatchError('expected slice or array type, but got: struct');
}

/** The non-retainKeys part of a field's strategy ("merge" or ""), as extractRetainKeysPatchStrategy does. */
function mergeStrategy(field: FieldSchema): string {
  return field.strategy === 'merge' || field.strategy === 'merge,retainKeys' ? 'merge' : '';
}

// ---------------------------------------------------------------------------------------------------------
// Go-flavoured formatting for error messages (fmt %v and reflect type names of decoded JSON).

function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return '[]interface {}';
  if (typeof value === 'object') return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  return 'string';
}

function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (isObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${k}:${goFormat(value[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `%s` of a non-string verb argument, as fmt prints it. */
function goFormatS(value: unknown): string {
  return typeof value === 'string' ? value : `%!s(${goTypeName(value)}=${goFormat(value)})`;
}

function badArgType(expected: string, actual: unknown): PatchError {
  const actualName = actual === null || actual === undefined ? '%!s(<nil>)' : goTypeName(actual);
  return new PatchError(`expected a ${expected}, but received a ${actualName}`);
}

function noMergeKey(item: JsonObject, mergeKey: string): PatchError {
  return new PatchError(`map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
}

function badPatchType(directive: unknown, item: JsonObject): PatchError {
  return new PatchError(`unknown patch type: ${goFormatS(directive)} in map: ${goFormat(item)}`);
}

/** Go's `==` on decoded JSON scalars; int64 and float64 never compare equal. */
function goEqual(a: unknown, b: unknown): boolean {
  return a === b && (typeof a !== 'number' || goTypeName(a) === goTypeName(b));
}

// ---------------------------------------------------------------------------------------------------------
// The merge (mergeMap and friends).

function mergeMap(original: JsonObject | null, patch: JsonObject, node: SchemaNode): JsonObject {
  if (has(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      removeKey(patch, DIRECTIVE);
      return patch;
    }
    if (directive === 'delete') return {};
    throw badPatchType(directive, patch);
  }
  const target = original ?? {};
  applyRetainKeys(target, patch);
  applySetElementOrder(target, patch, node);

  // Deletion lists first, so an element both added and deleted by one patch ends up present (Go's map
  // iteration order makes this random upstream).
  const keys = Object.keys(patch);
  const ordered = [
    ...keys.filter((k) => k.startsWith(DELETE_FROM_PRIMITIVE_LIST)),
    ...keys.filter((k) => !k.startsWith(DELETE_FROM_PRIMITIVE_LIST)),
  ];
  for (const patchKey of ordered) {
    const patchValue = patch[patchKey];
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = directiveTarget(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchValue === null) {
      removeKey(target, key);
      continue;
    }
    if (!has(target, key) || goTypeName(target[key]) !== goTypeName(patchValue)) {
      if (!isDeleteList) takePatchValue(target, key, patchValue);
      continue;
    }
    const originalValue = target[key];
    if (isObject(originalValue) && isObject(patchValue)) {
      setKey(target, key, mergeMap(originalValue, patchValue, lookupField(node, key).node));
    } else if (Array.isArray(originalValue) && Array.isArray(patchValue)) {
      const { field, node: sub } = lookupListField(node, key);
      const merge = mergeStrategy(field) === 'merge' || isDeleteList;
      setKey(
        target,
        key,
        merge ? mergeList(originalValue, patchValue, sub, field.mergeKey ?? '', isDeleteList) : patchValue,
      );
    } else {
      takePatchValue(target, key, patchValue);
    }
  }
  return target;
}

/** A patch value with nothing to merge into: nulls dropped, maps carrying `$patch` removed. */
function takePatchValue(target: JsonObject, key: string, patchValue: unknown): void {
  discardNulls(patchValue);
  const kept = removeDirectives(patchValue);
  if (kept.keep) setKey(target, key, kept.value);
  else removeKey(target, key);
}

function directiveTarget(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw new PatchError(
      prefix === SET_ELEMENT_ORDER
        ? 'invalid patch format of setElementOrder list'
        : 'invalid patch format of primitive list',
    );
  }
  return key.slice(slash + 1);
}

function discardNulls(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) discardNulls(item);
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (value[key] === null) removeKey(value, key);
      else discardNulls(value[key]);
    }
  }
}

function removeDirectives(value: unknown): { keep: boolean; value: unknown } {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const kept = removeDirectives(item);
      if (kept.keep) out.push(kept.value);
    }
    return { keep: true, value: out };
  }
  if (isObject(value)) {
    if (has(value, DIRECTIVE)) return { keep: false, value: undefined };
    for (const key of Object.keys(value)) {
      const kept = removeDirectives(value[key]);
      if (kept.keep) setKey(value, key, kept.value);
      else removeKey(value, key);
    }
  }
  return { keep: true, value };
}

/** `$retainKeys`: validate the patch against the list, then clear every original key not in it. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  removeKey(patch, RETAIN_KEYS);
  if (!Array.isArray(retain)) throw new PatchError('invalid patch format of retainKeys');
  const retained = new Set<unknown>(retain);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retained.has(key)) throw new PatchError('invalid patch format of retainKeys');
  }
  for (const key of Object.keys(original)) {
    if (!retained.has(key)) removeKey(original, key);
  }
}

/** `$setElementOrder/<field>`: merge that field now and order it by the directive (mergePatchIntoOriginal). */
function applySetElementOrder(original: JsonObject, patch: JsonObject, node: SchemaNode): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[directiveKey];
    removeKey(patch, directiveKey);
    if (!Array.isArray(order)) throw badArgType('[]interface {}', order);
    const key = directiveTarget(directiveKey, SET_ELEMENT_ORDER);
    const foundOriginal = has(original, key);
    const foundPatch = has(patch, key);
    const originalList = foundOriginal ? original[key] : null;
    const patchList = foundPatch ? patch[key] : null;
    if (foundOriginal && !Array.isArray(originalList)) throw badArgType('[]interface {}', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw badArgType('[]interface {}', patchList);
    const originalItems = (originalList ?? []) as unknown[];
    const patchItems = (patchList ?? []) as unknown[];
    const { field, node: sub } = lookupListField(node, key);
    const mergeKey = field.mergeKey ?? '';
    validateSetElementOrder(patchItems, order, mergeKey);

    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalItems;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchItems).value as unknown[];
    else if (foundOriginal && foundPatch) {
      merged =
        mergeStrategy(field) === 'merge'
          ? mergeList(originalItems, patchItems, sub, mergeKey, false)
          : patchItems;
    } else continue;

    const [inOrder, serverOnly] =
      mergeKey === '' ? partitionScalars(merged, order) : partitionMaps(merged, order, mergeKey);
    const isMap = elementKind(originalItems, patchItems) === 'map';
    setKey(original, key, normalizeElementOrder(inOrder, serverOnly, order, originalItems, mergeKey, isMap));
    removeKey(patch, key);
  }
}

/** Every non-deleted patch element must appear in the order list, in the same relative order. */
function validateSetElementOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const candidates = mergeKey === '' ? patchList : splitDeletions(patchList).keep;
  let p = 0;
  let o = 0;
  while (p < candidates.length && o < order.length) {
    const item = candidates[p];
    if (isObject(item) && has(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyEqual(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < candidates.length && o >= order.length) {
    throw new PatchError(
      `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`,
    );
  }
}

function mergeKeyEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return goEqual(left, right);
  if (!isObject(left)) throw badArgType('map[string]interface {}', left);
  if (!isObject(right)) throw badArgType('map[string]interface {}', right);
  if (!has(left, mergeKey)) throw noMergeKey(left, mergeKey);
  if (!has(right, mergeKey)) throw noMergeKey(right, mergeKey);
  return goEqual(left[mergeKey], right[mergeKey]);
}

function splitDeletions(list: unknown[]): { keep: unknown[]; remove: unknown[] } {
  const keep: unknown[] = [];
  const remove: unknown[] = [];
  for (const item of list) {
    if (!isObject(item)) throw badArgType('map[string]interface {}', item);
    if (item[DIRECTIVE] === 'delete') remove.push(item);
    else keep.push(item);
  }
  return { keep, remove };
}

/** The common element kind of both lists; Go refuses empty, nested and mixed lists here. */
function elementKind(...lists: unknown[][]): string {
  let kind: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      const current = goTypeName(item);
      if (kind === undefined) {
        if (current === '[]interface {}') throw new PatchError('lists of lists are not supported');
        if (current === '<nil>') throw new PatchError('lists of null elements are not supported');
        kind = current;
      } else if (kind !== current) {
        throw new PatchError(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (kind === undefined) throw new PatchError('no elements in any of the given slices');
  return kind === 'map[string]interface {}' ? 'map' : kind;
}

/** mergeSlice: merge a list field whose strategy is `merge` (or a `$deleteFromPrimitiveList`). */
function mergeList(
  original: unknown[],
  patch: unknown[],
  node: SchemaNode,
  mergeKey: string,
  isDeleteList: boolean,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const isMap = elementKind(original, patch) === 'map';
  let base = original;
  let additions = patch;
  let merged: unknown[];
  if (!isMap) {
    if (isDeleteList) return original.filter((item) => !patch.some((d) => goEqual(d, item)));
    merged = dedupeScalars([...original, ...patch]);
  } else {
    if (mergeKey === '') {
      throw new PatchError(
        `cannot merge lists without merge key for ${'struct' in node ? 'struct' : node.kind}`,
      );
    }
    [base, additions] = applyListDirectives(original, patch, mergeKey);
    merged = mergeByKey(base, additions, mergeKey, node);
  }
  const [inPatch, serverOnly] =
    mergeKey === '' ? partitionScalars(merged, additions) : partitionMaps(merged, additions, mergeKey);
  return normalizeElementOrder(inPatch, serverOnly, additions, base, mergeKey, isMap);
}

/** Go's in-place dedupe: a duplicate is overwritten by the current last element, so order shifts. */
function dedupeScalars(items: unknown[]): unknown[] {
  const s = items;
  let last = s.length - 1;
  for (let i = 0; i < last; i++) {
    for (let j = i + 1; j <= last; j++) {
      if (goEqual(s[i], s[j])) {
        s[j] = s[last];
        s.length = last;
        last--;
        j--;
      }
    }
  }
  return s;
}

/** List elements carrying `$patch`: delete removes every original with that key, replace drops the original. */
function applyListDirectives(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
): [unknown[], unknown[]] {
  let base = original;
  const plain: unknown[] = [];
  let replace = false;
  for (const item of patch) {
    const element = item as JsonObject;
    if (!has(element, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = element[DIRECTIVE];
    if (directive === 'delete') {
      if (!has(element, mergeKey)) throw noMergeKey(element, mergeKey);
      const value = element[mergeKey];
      base = base.filter((candidate, index) => !matchesKey(candidate, index, mergeKey, value));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchError('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, element);
    }
  }
  return replace ? [plain, []] : [base, plain];
}

/** findMapInSliceBasedOnKeyValue's test for one element; non-map elements are an error. */
function matchesKey(candidate: unknown, index: number, mergeKey: string, value: unknown): boolean {
  if (!isObject(candidate)) throw new PatchError(`value for key ${String(index)} is not a map`);
  return has(candidate, mergeKey) && goEqual(candidate[mergeKey], value);
}

function findByKey(list: unknown[], mergeKey: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    if (matchesKey(list[i], i, mergeKey, value)) return i;
  }
  return -1;
}

/** mergeSliceWithoutSpecialElements: merge into the first element with the same key, else append. */
function mergeByKey(original: unknown[], patch: unknown[], mergeKey: string, node: SchemaNode): unknown[] {
  const out = original.slice();
  for (const item of patch) {
    const element = item as JsonObject;
    if (!has(element, mergeKey)) throw noMergeKey(element, mergeKey);
    // Searching `out`, not `original`: a second patch element with the same key merges into the first.
    const at = findByKey(out, mergeKey, element[mergeKey]);
    if (at >= 0) {
      out[at] = mergeMap(out[at] as JsonObject, element, node);
    } else {
      out.push(item);
    }
  }
  return out;
}

function partitionScalars(items: unknown[], by: unknown[]): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const item of items) {
    if (by.some((b) => goEqual(b, item))) inBy.push(item);
    else rest.push(item);
  }
  return [inBy, rest];
}

function partitionMaps(items: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const item of items) {
    if (!isObject(item)) throw badArgType('map[string]interface {}', item);
    if (!has(item, mergeKey)) throw noMergeKey(item, mergeKey);
    if (findByKey(by, mergeKey, item[mergeKey]) >= 0) inBy.push(item);
    else rest.push(item);
  }
  return [inBy, rest];
}

/**
 * Sorts patch elements by `patchOrder` and server-only elements by `serverOrder`, then interleaves them: a
 * server-only element goes first only when both are in `serverOrder` and it was earlier there.
 */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  isMap: boolean,
): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, isMap);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, isMap);
  const position = (item: unknown): number => indexIn(serverOrder, item, mergeKey, isMap);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      out.push(left[i++]);
    } else if (i >= left.length) {
      out.push(right[j++]);
    } else {
      const l = position(left[i]);
      const r = position(right[j]);
      if (l >= 0 && r >= 0 && l < r) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** normalizeSliceOrder: stable sort by position in `order`; elements marked `$patch: delete` go last. */
function sortByOrder(items: unknown[], order: unknown[], mergeKey: string, isMap: boolean): unknown[] {
  let keep = items;
  let remove: unknown[] = [];
  if (isMap) {
    for (const list of [items, order]) {
      for (const item of list) {
        if (!isObject(item)) throw badArgType('map[string]interface {}', item);
        if (!has(item, mergeKey)) throw noMergeKey(item, mergeKey);
      }
    }
    ({ keep, remove } = splitDeletions(items));
  }
  const ranked = keep.map((item) => ({ item, rank: indexIn(order, item, mergeKey, isMap) }));
  // Go's comparator says "less" whenever either element is missing from `order` (an empty
  // $setElementOrder list does that), which is no consistent order, so only Go's own algorithm gives Go's
  // result.
  goSliceStable(ranked, (x, y) => (x.rank >= 0 && y.rank >= 0 ? x.rank < y.rank : true));
  return [...ranked.map((r) => r.item), ...remove];
}

/**
 * Go's `sort.SliceStable`: insertion sort over blocks of 20, then SymMerge (Kim & Kutzner) of ever larger
 * runs, with in-place rotations. Reproduced step for step because callers can pass an inconsistent `less`.
 */
function goSliceStable<T>(data: T[], less: (x: T, y: T) => boolean): void {
  const lessAt = (i: number, j: number): boolean => less(data[i] as T, data[j] as T);
  const swap = (i: number, j: number): void => {
    const t = data[i] as T;
    data[i] = data[j] as T;
    data[j] = t;
  };
  const insertionSort = (a: number, b: number): void => {
    for (let i = a + 1; i < b; i++) {
      for (let j = i; j > a && lessAt(j, j - 1); j--) swap(j, j - 1);
    }
  };
  const swapRange = (a: number, b: number, n: number): void => {
    for (let i = 0; i < n; i++) swap(a + i, b + i);
  };
  const rotate = (a: number, m: number, b: number): void => {
    let i = m - a;
    let j = b - m;
    while (i !== j) {
      if (i > j) {
        swapRange(m - i, m, j);
        i -= j;
      } else {
        swapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    swapRange(m - i, m, i);
  };
  const symMerge = (a: number, m: number, b: number): void => {
    if (m - a === 1) {
      // Binary search for where data[a] goes in data[m:b], then shift it there.
      let i = m;
      let j = b;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (lessAt(h, a)) i = h + 1;
        else j = h;
      }
      for (let k = a; k < i - 1; k++) swap(k, k + 1);
      return;
    }
    if (b - m === 1) {
      let i = a;
      let j = m;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (!lessAt(m, h)) i = h + 1;
        else j = h;
      }
      for (let k = m; k > i; k--) swap(k, k - 1);
      return;
    }
    const mid = (a + b) >>> 1;
    const n = mid + m;
    let start = m > mid ? n - b : a;
    let r = m > mid ? mid : m;
    const p = n - 1;
    while (start < r) {
      const c = (start + r) >>> 1;
      if (!lessAt(p - c, c)) start = c + 1;
      else r = c;
    }
    const end = n - start;
    if (start < m && m < end) rotate(start, m, end);
    if (a < start && start < mid) symMerge(a, start, mid);
    if (mid < end && end < b) symMerge(mid, end, b);
  };

  const length = data.length;
  let blockSize = 20;
  let a = 0;
  let b = blockSize;
  while (b <= length) {
    insertionSort(a, b);
    a = b;
    b += blockSize;
  }
  insertionSort(a, length);
  while (blockSize < length) {
    a = 0;
    b = 2 * blockSize;
    while (b <= length) {
      symMerge(a, a + blockSize, b);
      a = b;
      b += 2 * blockSize;
    }
    if (a + blockSize < length) symMerge(a, a + blockSize, length);
    blockSize *= 2;
  }
}

function indexIn(list: unknown[], item: unknown, mergeKey: string, isMap: boolean): number {
  const keyOf = (value: unknown): unknown =>
    isMap ? (isObject(value) ? (value[mergeKey] ?? null) : null) : value;
  const wanted = keyOf(item);
  for (let i = 0; i < list.length; i++) {
    if (goEqual(keyOf(list[i]), wanted)) return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------
// Output.

/** Drops what decoding the result into Go structs would drop: `$` directive keys and null fields. */
function stripLeftovers(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = stripLeftovers(value[i]);
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (key.startsWith('$') || value[key] === null) removeKey(value, key);
      else setKey(value, key, stripLeftovers(value[key]));
    }
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// The Go struct view of a document.

export interface GoRoundTripOptions {
  /** Struct the document decodes into; `PodSpec` unless given. */
  readonly type?: string;
  /**
   * Keep `$`-directive keys and explicit nulls, which a Go struct cannot hold. Upstream loses them; we keep
   * them for patches so that directives and null deletion work as on the API server.
   */
  readonly keepDirectives?: boolean;
}

/**
 * `value` as upstream sees it after `json.Unmarshal` into the Go type and `json.Marshal` back: unknown keys
 * dropped, keys matched case-insensitively, `omitempty` zero values (false, 0, "", empty list or map)
 * dropped, unset non-`omitempty` fields written as their zero value (`name: ""`, `resources: {}`,
 * `containers: null`). Fields are emitted in struct order. Values of the wrong JSON type are kept as they are
 * (the plugin decoder rejects those first), and quantities are not canonicalised (the builder does that for
 * the finished pod spec: `withCanonicalQuantities`).
 *
 * Running both sides of a merge through this makes `strategicMergePodSpec` give upstream's result. Note that
 * a patch without `containers` then carries `containers: null`, which deletes every container; upstream
 * sets `containers: []` on such patches first, and so must the caller.
 */
export function goRoundTrip(value: unknown, options: GoRoundTripOptions = {}): unknown {
  const type = options.type ?? POD_SPEC_ROOT;
  return roundTripStruct(value, type, options.keepDirectives === true);
}

const fieldEntries: ReadonlyMap<string, readonly [string, FieldSchema][]> = new Map(
  Object.entries(POD_SPEC_TYPES).map(([type, fields]) => [type, Object.entries(fields)] as const),
);

function roundTripStruct(value: unknown, type: string, keep: boolean): JsonObject {
  const fields = POD_SPEC_TYPES[type] ?? {};
  const byLower = lowerCaseFieldNames.get(type);
  const input = isJsonObject(value) ? value : {};
  // Decode: the last key naming a field wins; exact names beat case-insensitive ones within a key.
  const decoded = new Map<string, unknown>();
  const directives: [string, unknown][] = [];
  for (const key of Object.keys(input)) {
    const name = has(fields, key) ? key : byLower?.get(key.toLowerCase());
    if (name !== undefined) decoded.set(name, input[key]);
    else if (keep && key.startsWith('$')) directives.push([key, input[key]]);
  }
  const out: JsonObject = {};
  for (const [name, field] of fieldEntries.get(type) ?? []) {
    const present = decoded.has(name);
    const raw = decoded.get(name);
    if (present && raw === null && keep) {
      setKey(out, name, null);
      continue;
    }
    const encoded = roundTripField(present ? raw : undefined, field, keep);
    if (encoded !== undefined) setKey(out, name, encoded);
  }
  for (const [key, directive] of directives) setKey(out, key, directive);
  return out;
}

/** The encoding of one field, or undefined when encoding/json leaves it out. */
function roundTripField(value: unknown, field: FieldSchema, keep: boolean): unknown {
  const unset = value === undefined || value === null;
  switch (field.kind) {
    case 'object': {
      if (unset && (field.pointer === true || field.ref === undefined)) {
        return field.omitEmpty === true ? undefined : null;
      }
      if (field.ref === undefined) return value;
      if (!unset && !isJsonObject(value)) return value;
      return roundTripStruct(value ?? {}, field.ref, keep);
    }
    case 'list': {
      if (unset || (Array.isArray(value) && value.length === 0)) {
        if (field.omitEmpty === true) return undefined;
        return unset ? null : [];
      }
      if (!Array.isArray(value) || field.ref === undefined) return value;
      const ref = field.ref;
      const items: unknown[] = value;
      return items.map((item) =>
        isJsonObject(item) || item === null ? roundTripStruct(item, ref, keep) : item,
      );
    }
    case 'map': {
      const empty = unset || (isJsonObject(value) && Object.keys(value).length === 0);
      if (empty) {
        if (field.omitEmpty === true) return undefined;
        return unset ? null : {};
      }
      if (keep || !isJsonObject(value)) return value;
      const entries: JsonObject = {};
      for (const key of Object.keys(value)) setKey(entries, key, value[key] ?? field.zero ?? '');
      return entries;
    }
    case 'scalar': {
      if (field.pointer === true) {
        if (unset) return field.omitEmpty === true ? undefined : null;
        return value;
      }
      if (unset) return field.omitEmpty === true ? undefined : field.zero;
      if (field.omitEmpty === true && (value === '' || value === 0 || value === false)) return undefined;
      return value;
    }
  }
}
