import { TEMPLATES, type TemplateId } from "@layerlab/spec";
import { keptSettingsSummary, templateSettingChanges } from "../state/templateSettings";
import type { StudioApi } from "../state/useStudio";
import { useSampleLimit } from "../train/sampleLimit";
import "./template-note.css";

/**
 * Says, next to the template buttons, that loading template `id` kept the user's training settings, and
 * which settings the template would change, with a button that applies them.
 */
export function TemplateSettingsNote({ api, id }: { api: StudioApi; id: TemplateId }) {
  const [limit] = useSampleLimit();
  const name = TEMPLATES[id].name;
  const changes = templateSettingChanges(api.studio.config, id);
  const kept = keptSettingsSummary(api.studio.config) + (limit === "" ? "" : ` · first ${limit} samples`);
  return (
    <div className="template-note" role="status" data-testid="template-note">
      <p>
        Loaded the {name} model. Training settings unchanged: {kept}.
      </p>
      {changes.length > 0 ? (
        <>
          <p>{name} usually trains with:</p>
          <ul>
            {changes.map((c) => (
              <li key={c.path}>
                {c.label} {c.suggested} <span className="muted">(yours: {c.yours})</span>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => api.run("applyTemplateSettings", { id })}>
            Use {name}'s training settings
          </button>
        </>
      ) : (
        <p className="muted">These are the settings {name} usually trains with.</p>
      )}
    </div>
  );
}
