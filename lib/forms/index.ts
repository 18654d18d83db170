import { z } from 'zod';

/**
 * Form input, parsed at the edge (docs/architecture.md example 1: a server action parses input, then
 * calls one lib function). The schemas here check the shape of what a browser posts; the rules on
 * the values (what makes an email, a code or a reference valid) stay in the use case, which also
 * serves the JSON API. No server-only imports: a form's client side may reuse these schemas.
 */

/** A text field: a missing field is empty, as a browser sends an empty input; a file is refused. */
export function textField(label: string) {
  return z.preprocess((value) => value ?? '', z.string({ error: `${label} must be text.` }));
}

/** An optional text field: missing or empty is undefined. */
export function optionalTextField(label: string) {
  return z.preprocess((value) => (value === null || value === '' ? undefined : value), z.string({ error: `${label} must be text.` }).optional());
}

/** The first value of each field, as FormData.get gives it. */
export function formValues(form: FormData): Record<string, FormDataEntryValue> {
  const values: Record<string, FormDataEntryValue> = {};
  for (const [key, value] of form.entries()) if (!(key in values)) values[key] = value;
  return values;
}

/** Parses a form with a schema; a mismatch throws the ZodError that lib/errors maps to 422. */
export function parseForm<Schema extends z.ZodType>(schema: Schema, form: FormData): z.output<Schema> {
  return schema.parse(formValues(form));
}

/** Like parseForm, for actions that answer a refusal of their own instead of an error. */
export function safeParseForm<Schema extends z.ZodType>(schema: Schema, form: FormData) {
  return schema.safeParse(formValues(form));
}
