#!/usr/bin/env python3
"""Render every chat template under Fixtures/templates with every conversation in
Fixtures/templates/conversations.json, using jinja2 configured exactly as Hugging Face transformers'
`_compile_jinja_template` (transformers/utils/chat_template_utils.py), and write
Fixtures/templates/goldens.json for Tests/LoomTemplateTests/TemplateGoldenTests.swift.

    .venv/bin/python Scripts/make_template_goldens.py      # from the repo root (jinja2 pinned in Scripts/requirements.txt)

Environment, as transformers builds it:
  ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                extensions=[AssistantTracker, jinja2.ext.loopcontrols])
  filters["tojson"]          = json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  globals["raise_exception"] raises jinja2.exceptions.TemplateError(message)
  globals["strftime_now"]    = now.strftime(fmt)  -- here a FIXED now (2026-01-15 10:30:45, a Thursday)
AssistantTracker handles `{% generation %}…{% endgeneration %}` (used by LFM2.5 and the poolside templates):
it wraps the body in a CallBlock and returns `caller()`; the index tracking is only active inside
`return_assistant_tokens_mask`, which chat rendering does not use, so the no-op extension below produces
the same text. Note that a CallBlock body runs in its own (macro) scope, as in transformers.

Each context in conversations.json is passed as `template.render(**context)`; the contexts already hold
what apply_chat_template passes: messages, tools (null when absent), documents (null),
add_generation_prompt, extra kwargs, and the tokenizer's special tokens.

Output (sorted keys, ensure_ascii=False):
  {"generator", "jinja2", "now", "templates": {path: {"compile_error": str}
                                                   | {"conversations": {name: {"output": str} | {"error": str}}}}}
with path relative to Fixtures/templates and error = "<exception class>: <message>".
"""

import copy
import json
import sys
from datetime import datetime
from pathlib import Path

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "Fixtures" / "templates"
CONVERSATIONS = TEMPLATES / "conversations.json"
OUTPUT = TEMPLATES / "goldens.json"
NOW = datetime(2026, 1, 15, 10, 30, 45)
EXPECTED_JINJA2 = "3.1.6"


class GenerationTag(Extension):
    """transformers' AssistantTracker without the (inactive) index tracking: renders the body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    @jinja2.pass_eval_context
    def _generation_support(self, context, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return NOW.strftime(format)


def make_environment():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def describe(error):
    return f"{type(error).__name__}: {error}"


def main():
    if jinja2.__version__ != EXPECTED_JINJA2:
        sys.exit(f"jinja2 {EXPECTED_JINJA2} required (Scripts/requirements.txt), found {jinja2.__version__}")
    with open(CONVERSATIONS, encoding="utf-8") as f:
        conversations = json.load(f)
    env = make_environment()
    paths = sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.jinja"))

    templates = {}
    compiled = ok = raised = 0
    compile_errors = []
    for path in paths:
        source = (TEMPLATES / path).read_text(encoding="utf-8")
        try:
            template = env.from_string(source)
        except Exception as error:  # jinja2.TemplateSyntaxError and friends
            templates[path] = {"compile_error": describe(error)}
            compile_errors.append((path, describe(error)))
            continue
        compiled += 1
        results = {}
        for name, context in conversations.items():
            try:
                results[name] = {"output": template.render(**copy.deepcopy(context))}
                ok += 1
            except Exception as error:
                results[name] = {"error": describe(error)}
                raised += 1
        templates[path] = {"conversations": results}

    goldens = {
        "generator": "Scripts/make_template_goldens.py (jinja2 ImmutableSandboxedEnvironment as in "
        "transformers' _compile_jinja_template; strftime_now fixed)",
        "jinja2": jinja2.__version__,
        "now": NOW.isoformat(),
        "templates": templates,
    }
    text = json.dumps(goldens, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    OUTPUT.write_text(text, encoding="utf-8")

    print(f"templates: {len(paths)} found, {compiled} compiled, {len(compile_errors)} failed to compile")
    for path, message in compile_errors:
        print(f"  compile error {path}: {message}")
    print(f"conversations: {len(conversations)} ({', '.join(conversations)})")
    print(f"renders: {ok + raised} total, {ok} ok, {raised} raised")
    for name in conversations:
        n_err = sum(1 for t in templates.values() if "error" in t.get("conversations", {}).get(name, {}))
        print(f"  {name}: {compiled - n_err} ok, {n_err} raised")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
