// Lexflow's group in the bpmn-js properties panel: what the engine executes, in the form the
// engine reads it (engine/bpmn_parser.py, engine/validation.py):
//   lane            -> spiffworkflow:property "role" (a known role) and "organisation"
//   user task       -> "title" / "title_en" (expressions), "name_en", "documentation_en",
//                      "formJsonSchemaFilename" (picked, or edited as a field list in
//                      form_editor.js and stored in the draft), "dueDate" = deadline("<step>") (rule table)
//   sequence flow   -> bpmn:conditionExpression (safe expression language)
//   script task     -> bpmn:script
//   timer event     -> bpmn:timeDate / timeDuration / timeCycle expression
//   service task    -> spiffworkflow:serviceTaskOperator id + parameters (expressions)
// Every expression and script is checked by the server as it is typed (checker.js).
import { TextAreaEntry, TextFieldEntry, SelectEntry } from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { useEffect, useState } from "@bpmn-io/properties-panel/preact/hooks";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const DEADLINE = /^\s*deadline\(\s*["']([^"']+)["']\s*\)\s*$/;

// spiffworkflow:properties --------------------------------------------------------------------
function spiffProperties(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((v) => is(v, "spiffworkflow:Properties"));
}

export function spiffProperty(element, name) {
  const props = spiffProperties(getBusinessObject(element));
  const found = props && (props.property || []).find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function extensionElements(element, bpmnFactory, modeling) {
  const bo = getBusinessObject(element);
  let ext = bo.extensionElements;
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    modeling.updateProperties(element, { extensionElements: ext });
  }
  return ext;
}

export function setSpiffProperty(element, name, value, bpmnFactory, modeling) {
  const bo = getBusinessObject(element);
  let props = spiffProperties(bo);
  const text = (value || "").trim();
  if (!props) {
    if (!text) return;
    const ext = extensionElements(element, bpmnFactory, modeling);
    props = bpmnFactory.create("spiffworkflow:Properties", { property: [] });
    props.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.values, props] });
  }
  const list = props.property || [];
  const existing = list.find((p) => p.name === name);
  if (!text) {
    if (existing) {
      modeling.updateModdleProperties(element, props, { property: list.filter((p) => p !== existing) });
    }
  } else if (existing) {
    modeling.updateModdleProperties(element, existing, { value: text });
  } else {
    const prop = bpmnFactory.create("spiffworkflow:Property", { name, value: text });
    prop.$parent = props;
    modeling.updateModdleProperties(element, props, { property: [...list, prop] });
  }
}

// Entries ---------------------------------------------------------------------------------------
function useLexflow() {
  return useService("config.lexflow") || {};
}

function t(lexflow, msgid) {
  return (lexflow.texts && lexflow.texts[msgid]) || msgid;
}

/** A text area whose content the server checks (expression or script) as the owner types. */
function CheckedText(props) {
  const { element, id, label, getValue, setValue, kind, rows } = props;
  const debounce = useService("debounceInput");
  const lexflow = useLexflow();
  const value = getValue(element) || "";
  const [result, setResult] = useState(null);
  useEffect(() => {
    let current = true;
    if (!value.trim() || !lexflow.checker) {
      setResult(null);
      return undefined;
    }
    lexflow.checker.check(kind, value).then((answer) => current && setResult(answer));
    return () => {
      current = false;
    };
  }, [value, kind]);
  return (
    <div class="lexflow-checked" data-check-state={result ? (result.ok ? "ok" : "error") : "none"}>
      <TextAreaEntry
        element={element}
        id={id}
        label={label}
        getValue={getValue}
        setValue={setValue}
        debounce={debounce}
        rows={rows || 2}
        monospace
      />
      {result && !result.ok ? (
        <p class="lexflow-check-error" role="alert">{result.message}</p>
      ) : null}
      {result && result.ok ? <p class="lexflow-check-ok">{t(lexflow, "The syntax is valid.")}</p> : null}
    </div>
  );
}

function SpiffPropertyText(props) {
  const { element, id, name, label, kind } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  const getValue = () => spiffProperty(element, name);
  const setValue = (value) => setSpiffProperty(element, name, value, bpmnFactory, modeling);
  if (kind) {
    return <CheckedText element={element} id={id} label={label} getValue={getValue} setValue={setValue} kind={kind} />;
  }
  return <TextFieldEntry element={element} id={id} label={label} getValue={getValue} setValue={setValue} debounce={debounce} />;
}

function RoleSelect(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const lexflow = useLexflow();
  const roles = (lexflow.catalog && lexflow.catalog.roles) || [];
  const getValue = () => spiffProperty(element, "role");
  const getOptions = () => {
    const current = getValue();
    const options = [{ value: "", label: t(lexflow, "(choose a role)") }];
    if (current && !roles.some((r) => r.code === current)) {
      options.push({ value: current, label: `${current} — ${t(lexflow, "unknown role")}` });
    }
    return options.concat(roles.map((r) => ({ value: r.code, label: `${r.name} (${r.code})` })));
  };
  const setValue = (value) => setSpiffProperty(element, "role", value, bpmnFactory, modeling);
  return (
    <SelectEntry element={element} id={id} label={t(lexflow, "Role")} getValue={getValue} setValue={setValue} getOptions={getOptions} />
  );
}

function FormSelect(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const lexflow = useLexflow();
  const forms = (lexflow.catalog && lexflow.catalog.forms) || [];
  const name = "formJsonSchemaFilename";
  const getValue = () => spiffProperty(element, name);
  const getOptions = () => {
    const current = getValue();
    const options = [{ value: "", label: t(lexflow, "(no form)") }];
    if (current && !forms.some((f) => f.key === current)) {
      options.push({ value: current, label: `${current} — ${t(lexflow, "not deployed")}` });
    }
    return options.concat(forms.map((f) => ({ value: f.key, label: f.title ? `${f.title} (${f.key})` : f.key })));
  };
  const setValue = (value) => setSpiffProperty(element, name, value, bpmnFactory, modeling);
  return <SelectEntry element={element} id={id} label={t(lexflow, "Form")} getValue={getValue} setValue={setValue} getOptions={getOptions} />;
}

/** Opens the page's form field editor on this task (its list of fields, stored as a form). */
function FormFieldsButton(props) {
  const { element } = props;
  const lexflow = useLexflow();
  if (!lexflow.openFormEditor) return null;
  const open = () => lexflow.openFormEditor(element, spiffProperty(element, "formJsonSchemaFilename"));
  return (
    <div class="bio-properties-panel-entry lexflow-form-fields">
      <button type="button" class="lexflow-button" data-action="edit-form-fields" onClick={open}>
        {t(lexflow, "Edit the form's fields")}
      </button>
    </div>
  );
}

function DeadlineSelect(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const lexflow = useLexflow();
  const steps = (lexflow.catalog && lexflow.catalog.deadlines) || [];
  const getValue = () => {
    const due = spiffProperty(element, "dueDate");
    const match = DEADLINE.exec(due);
    if (!due) return "";
    return match ? match[1] : "__custom__";
  };
  const getOptions = () => {
    const options = [{ value: "", label: t(lexflow, "(no deadline)") }];
    const current = getValue();
    if (current === "__custom__") {
      options.push({ value: "__custom__", label: t(lexflow, "an expression (see XML)") });
    } else if (current && !steps.some((s) => s.step === current)) {
      options.push({ value: current, label: `${current} — ${t(lexflow, "not in the rule table")}` });
    }
    return options.concat(steps.map((s) => ({ value: s.step, label: `${s.name} (${s.step})` })));
  };
  const setValue = (value) => {
    if (value === "__custom__") return;
    setSpiffProperty(element, "dueDate", value ? `deadline("${value}")` : "", bpmnFactory, modeling);
  };
  return (
    <SelectEntry element={element} id={id} label={t(lexflow, "Deadline rule")} getValue={getValue} setValue={setValue} getOptions={getOptions} />
  );
}

/** The dossier items the step cannot complete without (``requiredDocuments``, codes). */
function RequiredDocuments(props) {
  const { element } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const lexflow = useLexflow();
  const items = (lexflow.catalog && lexflow.catalog.dossier_items) || [];
  const name = "requiredDocuments";
  const chosen = () =>
    (spiffProperty(element, name) || "").split(",").map((c) => c.trim()).filter(Boolean);
  const toggle = (code, on) => {
    const next = chosen().filter((c) => c !== code);
    if (on) next.push(code);
    setSpiffProperty(element, name, next.join(","), bpmnFactory, modeling);
  };
  const current = chosen();
  return (
    <fieldset class="bio-properties-panel-entry lexflow-required-documents" data-entry="required-documents">
      <legend class="bio-properties-panel-label">{t(lexflow, "Required dossier documents")}</legend>
      {items.map((item) => (
        <label class="lexflow-check" key={item.code}>
          <input
            type="checkbox"
            value={item.code}
            checked={current.includes(item.code)}
            onChange={(event) => toggle(item.code, event.target.checked)}
          />{" "}
          {item.name}
        </label>
      ))}
    </fieldset>
  );
}

function ConditionText(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const lexflow = useLexflow();
  const bo = getBusinessObject(element);
  const getValue = () => (bo.conditionExpression && bo.conditionExpression.body) || "";
  const setValue = (value) => {
    const text = (value || "").trim();
    const expression = text ? bpmnFactory.create("bpmn:FormalExpression", { body: text }) : undefined;
    if (expression) expression.$parent = bo;
    modeling.updateProperties(element, { conditionExpression: expression });
  };
  return <CheckedText element={element} id={id} label={t(lexflow, "Condition")} getValue={getValue} setValue={setValue} kind="expression" />;
}

function ScriptText(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const lexflow = useLexflow();
  const bo = getBusinessObject(element);
  const getValue = () => bo.script || "";
  const setValue = (value) => modeling.updateProperties(element, { script: value || undefined });
  return <CheckedText element={element} id={id} label={t(lexflow, "Script")} getValue={getValue} setValue={setValue} kind="script" rows={5} />;
}

const TIMER_KINDS = ["timeDate", "timeDuration", "timeCycle"];

function timerDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
}

function timerKind(definition) {
  return TIMER_KINDS.find((k) => definition[k]) || "timeDate";
}

function TimerKindSelect(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const lexflow = useLexflow();
  const definition = timerDefinition(element);
  const getValue = () => timerKind(definition);
  const getOptions = () => [
    { value: "timeDate", label: t(lexflow, "At a date and time") },
    { value: "timeDuration", label: t(lexflow, "After a duration") },
    { value: "timeCycle", label: t(lexflow, "Repeatedly (cycle)") },
  ];
  const setValue = (kind) => {
    const old = definition[timerKind(definition)];
    const body = (old && old.body) || "";
    const update = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    const expression = bpmnFactory.create("bpmn:FormalExpression", { body });
    expression.$parent = definition;
    update[kind] = expression;
    modeling.updateModdleProperties(element, definition, update);
  };
  return <SelectEntry element={element} id={id} label={t(lexflow, "Timer")} getValue={getValue} setValue={setValue} getOptions={getOptions} />;
}

function TimerText(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const lexflow = useLexflow();
  const definition = timerDefinition(element);
  const getValue = () => {
    const current = definition[timerKind(definition)];
    return (current && current.body) || "";
  };
  const setValue = (value) => {
    const kind = timerKind(definition);
    const expression = bpmnFactory.create("bpmn:FormalExpression", { body: (value || "").trim() });
    expression.$parent = definition;
    modeling.updateModdleProperties(element, definition, { [kind]: expression });
  };
  return (
    <CheckedText element={element} id={id} label={t(lexflow, "Timer expression (ISO 8601 text or deadline(...))")} getValue={getValue} setValue={setValue} kind="expression" />
  );
}

// Service tasks --------------------------------------------------------------------------------
function operatorOf(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((v) => is(v, "spiffworkflow:ServiceTaskOperator"));
}

function OperatorSelect(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const lexflow = useLexflow();
  const services = (lexflow.catalog && lexflow.catalog.services) || [];
  const bo = getBusinessObject(element);
  const getValue = () => {
    const operator = operatorOf(bo);
    return (operator && operator.id) || "";
  };
  const getOptions = () => {
    const current = getValue();
    const options = [{ value: "", label: t(lexflow, "(choose an operation)") }];
    if (current && !services.some((s) => s.name === current)) {
      options.push({ value: current, label: `${current} — ${t(lexflow, "not registered")}` });
    }
    return options.concat(services.map((s) => ({ value: s.name, label: s.name })));
  };
  const setValue = (value) => {
    const ext = extensionElements(element, bpmnFactory, modeling);
    const operator = operatorOf(bo);
    if (!value) {
      if (operator) modeling.updateModdleProperties(element, ext, { values: ext.values.filter((v) => v !== operator) });
    } else if (operator) {
      modeling.updateModdleProperties(element, operator, { id: value });
    } else {
      const created = bpmnFactory.create("spiffworkflow:ServiceTaskOperator", { id: value });
      created.$parent = ext;
      modeling.updateModdleProperties(element, ext, { values: [...ext.values, created] });
    }
  };
  return (
    <SelectEntry element={element} id={id} label={t(lexflow, "Operation")} getValue={getValue} setValue={setValue} getOptions={getOptions} />
  );
}

function parameterText(operator) {
  const list = (operator && operator.parameters && operator.parameters.parameter) || [];
  return list.map((p) => `${p.id} = ${p.value || ""}`).join("\n");
}

/** Parameters as one "name = expression" line each: the engine evaluates each value. */
function ParametersText(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  const lexflow = useLexflow();
  const bo = getBusinessObject(element);
  const operator = operatorOf(bo);
  if (!operator) return null;
  const getValue = () => parameterText(operator);
  const setValue = (value) => {
    const parameters = bpmnFactory.create("spiffworkflow:Parameters", { parameter: [] });
    parameters.$parent = operator;
    for (const line of (value || "").split("\n")) {
      const at = line.indexOf("=");
      if (at < 1) continue;
      const name = line.slice(0, at).trim();
      const expression = line.slice(at + 1).trim();
      if (!name) continue;
      const parameter = bpmnFactory.create("spiffworkflow:Parameter", { id: name, type: "any", value: expression });
      parameter.$parent = parameters;
      parameters.parameter.push(parameter);
    }
    modeling.updateModdleProperties(element, operator, { parameters: parameters.parameter.length ? parameters : undefined });
  };
  return (
    <TextAreaEntry
      element={element}
      id={id}
      label={t(lexflow, "Parameters (one per line: name = expression)")}
      getValue={getValue}
      setValue={setValue}
      debounce={debounce}
      rows={3}
      monospace
    />
  );
}

function ResultVariableText(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const debounce = useService("debounceInput");
  const lexflow = useLexflow();
  const operator = operatorOf(getBusinessObject(element));
  if (!operator) return null;
  return (
    <TextFieldEntry
      element={element}
      id={id}
      label={t(lexflow, "Result variable")}
      getValue={() => operator.resultVariable || ""}
      setValue={(value) => modeling.updateModdleProperties(element, operator, { resultVariable: value || undefined })}
      debounce={debounce}
    />
  );
}

// The provider -----------------------------------------------------------------------------------
function entry(id, component, extra = {}) {
  return { id, component, ...extra };
}

function lexflowEntries(element, texts) {
  const label = (msgid) => (texts && texts[msgid]) || msgid;
  const bo = getBusinessObject(element);
  if (is(element, "bpmn:Lane")) {
    return [
      entry("lexflow-role", RoleSelect),
      entry("lexflow-organisation", SpiffPropertyText, {
        name: "organisation",
        label: label("Organisation (expression)"),
        kind: "expression",
      }),
    ];
  }
  if (is(element, "bpmn:UserTask")) {
    return [
      entry("lexflow-name-en", SpiffPropertyText, { name: "name_en", label: label("Name (English)") }),
      entry("lexflow-title", SpiffPropertyText, { name: "title", label: label("Title in the inbox (Vietnamese, expression)"), kind: "expression" }),
      entry("lexflow-title-en", SpiffPropertyText, { name: "title_en", label: label("Title in the inbox (English, expression)"), kind: "expression" }),
      entry("lexflow-documentation-en", SpiffPropertyText, { name: "documentation_en", label: label("Instructions (English)") }),
      entry("lexflow-form", FormSelect),
      entry("lexflow-form-fields", FormFieldsButton),
      entry("lexflow-deadline", DeadlineSelect),
      entry("lexflow-required-documents", RequiredDocuments),
    ];
  }
  if (is(element, "bpmn:SequenceFlow")) {
    const source = bo.sourceRef;
    if (source && (is(source, "bpmn:ExclusiveGateway") || is(source, "bpmn:InclusiveGateway") || is(source, "bpmn:Activity"))) {
      return [entry("lexflow-condition", ConditionText)];
    }
    return [];
  }
  if (is(element, "bpmn:ScriptTask")) {
    return [entry("lexflow-script", ScriptText)];
  }
  if (is(element, "bpmn:ServiceTask")) {
    return [
      entry("lexflow-operator", OperatorSelect),
      entry("lexflow-parameters", ParametersText),
      entry("lexflow-result", ResultVariableText),
    ];
  }
  if (is(element, "bpmn:Event") && timerDefinition(element)) {
    return [entry("lexflow-timer-kind", TimerKindSelect), entry("lexflow-timer", TimerText)];
  }
  return [];
}

function LexflowPropertiesProvider(propertiesPanel, config) {
  this._texts = (config && config.texts) || {};
  propertiesPanel.registerProvider(500, this);
}

LexflowPropertiesProvider.$inject = ["propertiesPanel", "config.lexflow"];

LexflowPropertiesProvider.prototype.getGroups = function (element) {
  const texts = this._texts;
  return (groups) => {
    const entries = lexflowEntries(element, texts);
    if (entries.length) {
      groups.splice(1, 0, { id: "lexflow", label: texts["Lexflow (what the engine runs)"] || "Lexflow", entries });
    }
    return groups;
  };
};

export default {
  __init__: ["lexflowPropertiesProvider"],
  lexflowPropertiesProvider: ["type", LexflowPropertiesProvider],
};
