import { TextField } from '../../../_components/ui';

/** The ticket reference a person copies from our email (RG-XXXX-XXXX), on the status and video pages. */
export function ReferenceField({ hint, error }: { hint: string; error: string | undefined }) {
  return (
    <TextField
      id="reference"
      name="reference"
      label="Reference number"
      hint={hint}
      autoComplete="off"
      autoCapitalize="characters"
      spellCheck={false}
      maxLength={20}
      required
      autoFocus
      error={error}
    />
  );
}
