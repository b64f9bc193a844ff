#!/usr/bin/env python3
"""Render small feature-by-feature Jinja snippets with jinja2 configured as Hugging Face transformers
renders chat templates, and write Fixtures/templates/snippets.json for
Tests/LoomTemplateTests/TemplateSnippetTests.swift (a conformance suite: one construct per snippet,
edge and error cases included).

    .venv/bin/python Scripts/make_template_snippets.py      # from the repo root (jinja2 pinned in Scripts/requirements.txt)

The environment is the one Scripts/make_template_goldens.py builds (ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks, loopcontrols; HF's tojson, raise_exception, and strftime_now fixed at
2026-01-15 10:30:45).

Output (snippet order, ensure_ascii=False):
  {name: {"template", "context", "output"} | {"template", "context", "error", "phase"}}
with error = "<exception class>: <message>" and phase = "compile" | "render".
"""

import copy
import json
import sys
from pathlib import Path

import jinja2

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_template_goldens import EXPECTED_JINJA2, describe, make_environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "Fixtures" / "templates" / "snippets.json"

MSGS = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
USERS = [{"name": "bob", "age": 30, "admin": True}, {"name": "Al", "age": 25},
         {"name": "cy", "age": 30, "admin": False}]

# (name, template, context)
SNIPPETS = [
    # ---- if / elif / else
    ("if_true", "{% if x %}yes{% endif %}", {"x": 1}),
    ("if_false_else", "{% if x %}yes{% else %}no{% endif %}", {"x": 0}),
    ("if_elif", "{% for v in [1, 2, 3] %}{% if v == 1 %}a{% elif v == 2 %}b{% else %}c{% endif %}{% endfor %}", {}),
    ("if_undefined", "{% if nope %}y{% else %}n{% endif %}", {}),
    ("if_empty_containers", "{{ [] is sameas false }}{% if [] %}L{% endif %}{% if {} %}D{% endif %}{% if '' %}S{% endif %}{% if [0] %}N{% endif %}", {}),
    # ---- for and loop
    ("for_loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {}),
    ("for_previtem_nextitem", "{% for x in [1, 2, 3] %}[{{ loop.previtem }}|{{ loop.nextitem }}|{{ loop.previtem is defined }}]{% endfor %}", {}),
    ("for_cycle", "{% for x in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}", {}),
    ("for_else_empty", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", {}),
    ("for_else_nonempty", "{% for x in [1] %}{{ x }}{% else %}empty{% endfor %}", {}),
    ("for_inline_if", "{% for x in range(10) if x is odd %}{{ x }}{{ loop.index }}{{ loop.length }},{% endfor %}", {}),
    ("for_inline_if_else", "{% for m in messages if m.role == 'system' %}{{ m }}{% else %}none{% endfor %}", {"messages": MSGS}),
    ("for_dict_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"b": 1, "a": 2, "c": 3}}),
    ("for_dict_plain", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("for_tuple_unpack", "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }},{% endfor %}", {}),
    ("for_unpack_wrong_count", "{% for a, b in [[1, 2, 3]] %}{{ a }}{% endfor %}", {}),
    ("for_nested_loops", "{% for i in range(2) %}{% for j in range(2) %}{{ loop.index }}{{ i }}{{ j }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("for_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("for_string", "{% for c in 'héé' %}<{{ c }}>{% endfor %}", {}),
    ("for_undefined_iter", "{% for x in nope %}{{ x }}{% else %}E{% endfor %}", {}),
    ("for_none_iter", "{% for x in n %}{{ x }}{% endfor %}", {"n": None}),
    ("for_loop_outside", "{{ loop is defined }}", {}),
    ("for_loop_length_nested_access", "{% for m in messages %}{{ loop.index }}/{{ loop.length }}:{{ m['role'] }} {% endfor %}", {"messages": MSGS}),
    # ---- set, scoping, namespace
    ("set_simple", "{% set x = 3 %}{% set y = x * 2 %}{{ x }} {{ y }}", {}),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}", {}),
    ("set_tuple_from_list", "{% set a, b = ['x', 'y'] %}{{ b }}{{ a }}", {}),
    ("set_block", "{% set x %}Hello {{ name }}!{% endset %}[{{ x }}]", {"name": "Bo"}),
    ("set_block_filter", "{% set x | upper | trim %}  abc {% endset %}[{{ x }}]", {}),
    ("set_in_loop_no_leak", "{% set x = 1 %}{% for i in range(3) %}{% set x = i %}{% endfor %}{{ x }}", {}),
    ("set_in_loop_visible_inside", "{% set x = 1 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}", {}),
    ("set_in_if_leaks", "{% if true %}{% set x = 5 %}{% endif %}{{ x }}", {}),
    ("namespace_basic", "{% set ns = namespace(x=false, n=0) %}{% for i in range(3) %}{% set ns.x = true %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.x }} {{ ns.n }}", {}),
    ("namespace_missing_attr", "{% set ns = namespace(a=1) %}[{{ ns.b }}]{{ ns.b is defined }}", {}),
    ("namespace_set_on_dict", "{% set d = {} %}{% set d.x = 1 %}{{ d }}", {}),
    ("namespace_print", "{% set ns = namespace(a=1) %}{{ ns.a }}", {}),
    # ---- macros and call blocks
    ("macro_defaults", "{% macro f(a, b='B', c=3) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ f(1) }}|{{ f(1, 2) }}|{{ f(1, c=9) }}", {}),
    ("macro_missing_arg", "{% macro f(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}{{ f(1) }}", {}),
    ("macro_varargs_kwargs", "{% macro f(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1, 2, 3, k='v') }}", {}),
    ("macro_too_many_args", "{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}", {}),
    ("macro_unknown_kwarg", "{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, z=2) }}", {}),
    ("macro_outer_scope", "{% set g = 'G' %}{% macro f() %}{{ g }}{% endmacro %}{{ f() }}", {}),
    ("macro_returns_string", "{% macro f(x) %}<{{ x }}>{% endmacro %}{{ f(1) ~ f(2) }}{{ f(3) | length }}", {}),
    ("macro_recursive", "{% macro r(n) %}{{ n }}{% if n > 0 %}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(3) }}", {}),
    ("call_block", "{% macro w() %}[{{ caller() }}]{% endmacro %}{% call w() %}inner{% endcall %}", {}),
    ("call_block_args", "{% macro w(items) %}{% for i in items %}{{ caller(i, loop.index) }}{% endfor %}{% endmacro %}{% call(x, n) w(['a', 'b']) %}{{ n }}={{ x }};{% endcall %}", {}),
    ("filter_block", "{% filter upper %}hello {{ name }}{% endfilter %}", {"name": "bo"}),
    ("filter_block_chain", "{% filter trim | replace('a', 'o') %}  banana  {% endfilter %}|", {}),
    # ---- raw, comments, whitespace control
    ("raw_block", "{% raw %}{{ x }}{% if %}{% endraw %}", {}),
    ("comment", "a{# comment {{ x }} #}b", {}),
    ("ws_minus_both", "a  {%- if true -%}  b  {%- endif -%}  c", {}),
    ("ws_expr_minus", "a \n {{- x -}} \n b", {"x": "X"}),
    ("ws_comment_minus", "a \n {#- c -#} \n b", {}),
    ("ws_plus_disables_lstrip", "x\n    {%+ if true %}y{% endif %}\n", {}),
    ("trim_blocks_newline", "{% if true %}\nA\n{% endif %}\nB", {}),
    ("lstrip_indented_tags", "<\n  {% for i in range(2) %}\n  - {{ i }}\n  {% endfor %}\n>", {}),
    ("lstrip_tag_after_text", "a {% if true %}b{% endif %} c\n", {}),
    ("lstrip_expression_not_stripped", "  {{ 'x' }}\n  y", {}),
    ("trim_blocks_crlf", "{% if true %}\r\nA\r\n{% endif %}\r\nB", {}),
    ("lstrip_comment", "a\n   {# c #}\nb", {}),
    ("trim_blocks_minus_right", "{% if true -%}\n\n  A{% endif %}", {}),
    ("raw_with_lstrip", "x\n  {% raw %}\n{{ y }}\n  {% endraw %}\nz", {}),
    ("ws_set_minus", "a\n{%- set x = 1 -%}\n  b{{ x }}", {}),
    ("lstrip_tab_indent", "a\n\t{% if true %}\n\tb\n\t{% endif %}\nc", {}),
    ("trim_blocks_expression_not_trimmed", "{{ 'x' }}\ny", {}),
    ("trailing_newline_single", "x{{ 1 }}\n", {}),
    ("trailing_newline_double", "x\n\n", {}),
    ("trailing_newline_after_tag", "{% if true %}x{% endif %}\n\n", {}),
    ("newline_normalize_cr", "a\r\nb\rc\n", {}),
    # ---- literals
    ("string_escapes", r"""{{ 'a\nb\tc\\d\'e' }}|{{ "q\"x" }}|{{ '\u00e9\x41' }}""", {}),
    ("string_adjacent_concat", "{{ 'a' 'b' \"c\" }}", {}),
    ("numbers", "{{ 1 }} {{ -2 }} {{ 1.5 }} {{ -0.25 }} {{ 1e3 }} {{ 2.5E-3 }} {{ 1_000 }} {{ 0.1 + 0.2 }}", {}),
    ("list_tuple_literals", "{{ [1, 'a', none, true, 1.5] }} {{ (1, 2) }} {{ (1,) }} {{ () }} {{ [] }}", {}),
    ("dict_literal", "{{ {'a': 1, 'b': [1, 2]} }} {{ {1: 'x', 2: 'y'}[2] }} {{ {} }}", {}),
    ("dict_int_key_print", "{{ {1: 'x', 'k': none} }}", {}),
    ("str_of_values", "{{ none }} {{ true }} {{ false }} {{ 1.0 }} {{ 1e20 }} {{ 1e16 }} {{ 1e-5 }} {{ 123456789.0 }} {{ 0.1 }}", {}),
    ("repr_quoting", r"""{{ "it's" | list }} {{ ['a"b', "c'd", 'e\\f', 'g\nh'] }}""", {}),
    ("str_of_context_values", "{{ d }} {{ l }} {{ f }}", {"d": {"k": "v", "n": None, "b": True}, "l": [1.0, "x"], "f": 2.0}),
    # ---- attribute / item access
    ("attr_vs_item", "{{ d.items is defined }} {{ d['items'] }} {{ d.a }} {{ d['a'] }}", {"d": {"items": "I", "a": "A"}}),
    ("missing_attr_renders_empty", "[{{ d.nope }}][{{ d['nope'] }}][{{ l[5] }}][{{ nope }}]", {"d": {}, "l": [1]}),
    ("undefined_attr_error", "{{ nope.attr }}", {}),
    ("undefined_item_error", "{{ nope['x'] }}", {}),
    ("none_attr_empty", "{{ n.x }}", {"n": None}),
    ("list_negative_index", "{{ l[-1] }}{{ l[0] }}{{ 'abc'[1] }}{{ 'abc'[-1] }}", {"l": [1, 2, 3]}),
    ("string_attr_missing", "[{{ 'abc'.nope }}]", {}),
    # ---- slicing
    ("slice_list", "{{ l[::-1] }} {{ l[1:] }} {{ l[:-1] }} {{ l[::2] }} {{ l[1:3] }} {{ l[5:] }} {{ l[-2:] }}", {"l": [1, 2, 3, 4]}),
    ("slice_string", "{{ s[::-1] }} {{ s[1:] }} {{ s[:-1] }} {{ s[::2] }} {{ s[10:] }}|", {"s": "héllo"}),
    ("slice_negative_step", "{{ l[3:0:-1] }} {{ l[::-2] }}", {"l": [0, 1, 2, 3, 4]}),
    # ---- arithmetic
    ("arith_basic", "{{ 1 + 2 }} {{ 7 - 10 }} {{ 3 * 4 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 2 ** 10 }}", {}),
    ("arith_mod_negative", "{{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 7.5 % 2 }}", {}),
    ("arith_int_float", "{{ 1 + 1.5 }} {{ 2 * 1.0 }} {{ 2 ** 0.5 }} {{ 2 ** -1 }} {{ 7.0 // 2 }}", {}),
    ("arith_string_repeat_concat", "{{ 'ab' * 3 }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ [0] * 3 }}", {}),
    ("arith_div_zero", "{{ 1 / 0 }}", {}),
    ("arith_string_plus_int", "{{ 'a' + 1 }}", {}),
    ("arith_bool", "{{ true + 1 }} {{ true * 3 }}", {}),
    ("unary_minus_plus", "{{ -x }} {{ +x }} {{ - -x }}", {"x": 3}),
    # ---- ~ concat
    ("tilde_concat", "{{ 'a' ~ 1 ~ none ~ true ~ 1.5 }}|{{ 'a' ~ nope ~ 'b' }}|{{ 1 ~ 2 }}|{{ [1] ~ {'a': 1} }}", {}),
    # ---- comparisons / logic
    ("compare_basic", "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ 1 != 2 }} {{ [1, 2] == [1, 2] }} {{ 'a' == 'a' }} {{ none == none }}", {}),
    ("compare_chained", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1 == 1 }}", {}),
    ("compare_mixed_error", "{{ 1 < 'a' }}", {}),
    ("compare_eq_mixed_types", "{{ 1 == '1' }} {{ true == 1 }} {{ none == 0 }} {{ [1] == (1,) }}", {}),
    ("and_or_return_operands", "{{ 0 or 'x' }}|{{ '' and 1 }}|{{ 1 and 2 }}|{{ none or [] }}|{{ 'a' or 'b' }}|{{ nope or 'd' }}", {}),
    ("not_operator", "{{ not 0 }} {{ not 'a' }} {{ not a == b }} {{ not nope }}", {"a": 1, "b": 2}),
    ("in_operator", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in d }} {{ 'v' in d }} {{ 3 not in [1] }} {{ 'x' not in 'abc' }}", {"d": {"k": "v"}}),
    ("in_undefined_false", "{{ 'a' in nope }}", {}),
    ("inline_if", "{{ 'y' if x else 'n' }}|{{ 'y' if not x }}|{{ 'y' if x }}|", {"x": 0}),
    ("inline_if_nested", "{{ 'a' if x == 1 else 'b' if x == 2 else 'c' }}", {"x": 2}),
    ("precedence_arith", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 2 * 3 % 4 }} {{ 2 ** 3 ** 2 }} {{ 100 / 10 / 5 }}", {}),
    ("precedence_unary_pow", "{{ -2 ** 2 }} {{ (-2) ** 2 }}", {}),
    ("precedence_tilde_vs_plus", "{{ 'a' ~ 1 + 2 }}", {}),
    ("precedence_tilde_vs_mul", "{{ 'a' ~ 2 * 3 }} {{ 1 ~ 2 * 3 }}", {}),
    ("precedence_plus_then_tilde", "{{ 1 + 2 ~ 'b' }}", {}),
    ("precedence_filter_binding", "{{ 1 + 2 | string }}", {}),
    ("precedence_filter_unary", "{{ -1 | abs }} {{ -x | abs }}", {"x": 3}),
    ("precedence_not_in", "{{ not 1 in [1] }} {{ true and not false }}", {}),
    # ---- tests
    ("test_defined", "{{ x is defined }} {{ nope is defined }} {{ nope is undefined }} {{ n is defined }} {{ d.k is defined }} {{ d.z is defined }}", {"x": 1, "n": None, "d": {"k": 1}}),
    ("test_types", "{{ n is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }} {{ 1 is integer }} {{ 1.0 is integer }} {{ 1.0 is float }} {{ true is integer }}", {"n": None}),
    ("test_containers", "{{ d is mapping }} {{ l is mapping }} {{ l is iterable }} {{ 's' is iterable }} {{ d is iterable }} {{ 1 is iterable }} {{ l is sequence }} {{ 's' is sequence }} {{ d is sequence }}", {"d": {}, "l": []}),
    ("test_booleans", "{{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ none is false }}", {}),
    ("test_odd_even_divisible", "{{ 3 is odd }} {{ 3 is even }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 0 is even }}", {}),
    ("test_equalto", "{{ 1 is equalto 1 }} {{ 'a' is eq 'b' }} {{ 2 is eq(2) }} {{ x is sameas none }}", {"x": None}),
    ("test_is_not", "{{ x is not none }} {{ x is not defined }} {{ 3 is not odd }} {{ nope is not defined }}", {"x": 1}),
    ("test_comparison_names", "{{ 2 is gt 1 }} {{ 2 is lt 1 }} {{ 2 is ge 2 }} {{ 'b' is in 'abc' }}", {}),
    ("test_unknown", "{{ 1 is frobnicated }}", {}),
    ("test_callable_lower", "{{ 'abc' is lower }} {{ 'Abc' is upper }} {{ f is callable }}", {"f": 1}),
    # ---- filters
    ("filter_trim", "[{{ '  a b  ' | trim }}][{{ 'xxaxx' | trim('x') }}][{{ '\n\ta\n' | trim }}]", {}),
    ("filter_case", "{{ 'hello wORLD' | upper }} {{ 'HeLLo' | lower }} {{ 'hello wORLD-foo bar_baz' | title }} {{ 'hello WORLD' | capitalize }}", {}),
    ("filter_length", "{{ 'héllo' | length }} {{ [1, 2] | length }} {{ {'a': 1} | length }} {{ [] | count }} {{ '' | length }}", {}),
    ("filter_length_undefined", "{{ nope | length }}", {}),
    ("filter_first_last", "{{ [1, 2, 3] | first }} {{ [1, 2, 3] | last }} {{ 'abc' | first }} {{ 'abc' | last }} [{{ [] | first }}]", {}),
    ("filter_join", "{{ [1, 2, 3] | join }} {{ [1, 'a', none] | join(', ') }} {{ users | join('/', attribute='name') }} {{ 'abc' | join('-') }}", {"users": USERS}),
    ("filter_default", "{{ nope | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }} {{ none | d('x') }} {{ 0 | d('x', boolean=true) }} {{ 'v' | d('x') }} [{{ nope | default }}]", {}),
    ("filter_replace", "{{ 'aaa' | replace('a', 'b') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'abc' | replace('', '-') }}", {}),
    ("filter_list", "{{ 'abc' | list }} {{ {'a': 1, 'b': 2} | list }} {{ (1, 2) | list }}", {}),
    ("filter_map", "{{ users | map(attribute='name') | list }} {{ ['a', 'b'] | map('upper') | join(',') }} {{ users | map(attribute='admin', default='?') | list }}", {"users": USERS}),
    ("filter_map_missing_attr", "{{ users | map(attribute='admin') | list }}", {"users": USERS}),
    ("filter_select_reject", "{{ [0, 1, 2, 3, none, ''] | select | list }} {{ range(6) | select('odd') | list }} {{ range(6) | reject('odd') | list }} {{ [1, 5, 9] | select('gt', 3) | list }} {{ [1, 2] | reject('equalto', 2) | list }}", {}),
    ("filter_selectattr", "{{ users | selectattr('admin') | map(attribute='name') | list }} {{ users | selectattr('admin', 'defined') | map(attribute='name') | join }} {{ users | selectattr('age', 'equalto', 30) | map(attribute='name') | join }} {{ users | rejectattr('admin') | map(attribute='name') | join }} {{ users | rejectattr('age', 'eq', 30) | map(attribute='name') | join }}", {"users": USERS}),
    ("filter_selectattr_messages", "{% for m in messages | selectattr('role', 'equalto', 'assistant') %}{{ m.content }}{% endfor %}", {"messages": MSGS}),
    ("filter_items", "{{ d | items | list }} {% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("filter_dictsort", "{{ d | dictsort }} {{ d | dictsort(by='value') }} {{ d | dictsort(reverse=true) }} {{ {'B': 1, 'a': 2} | dictsort }} {{ {'B': 1, 'a': 2} | dictsort(true) }}", {"d": {"b": 1, "a": 3, "c": 2}}),
    ("tojson_nested", "{{ d | tojson }}", {"d": {"a": [1, 2, {"b": None}], "c": True, "e": "é\u4e2d", "f": 1.5, "g": {}}}),
    ("tojson_indent2", "{{ d | tojson(indent=2) }}", {"d": {"a": [1, [2, 3], []], "b": {"c": {}, "d": "x"}}}),
    ("tojson_indent4", "{{ d | tojson(indent=4) }}", {"d": [{"a": 1}, [], {}, [1]]}),
    ("tojson_sort_keys", "{{ d | tojson(sort_keys=true) }}", {"d": {"b": 1, "a": {"z": 1, "y": 2}, "B": 0}}),
    ("tojson_separators", "{{ d | tojson(separators=(',', ':')) }} {{ d | tojson(indent=1, separators=(',', ': ')) }}", {"d": {"a": [1, 2], "b": "x"}}),
    ("tojson_floats", "{{ [1.0, 0.1, 1e-05, 1e20, 1e16, 1e15, 123.456, -0.0, 3.0e-7, 2.5] | tojson }} {{ 1.0 | tojson }} {{ (7 / 2) | tojson }}", {}),
    ("tojson_scalars", "{{ 1 | tojson }} {{ true | tojson }} {{ none | tojson }} {{ 'x' | tojson }} {{ -5 | tojson }}", {}),
    ("tojson_strings", "{{ s | tojson }}", {"s": "q\"b\\s/n\nt\tr\rc\u0001\u001fé\u2028😀<>&'"}),
    ("tojson_literal_dict", "{{ {'a': 1, 2: 'b'} | tojson }}", {}),
    ("tojson_undefined", "{{ nope | tojson }}", {}),
    ("tojson_map_error", "{{ [1, 2] | map('string') | tojson }}", {}),
    ("tojson_in_string", "{{ 'args: ' ~ (d | tojson) }}", {"d": {"k": [1]}}),
    ("filter_string", "{{ 1 | string }} {{ none | string }} {{ [1, 'a'] | string }} {{ (1 | string) ~ 2 }} {{ 1.0 | string }}", {}),
    ("filter_int", "{{ '12' | int }} {{ '1.9' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ -3.9 | int }} {{ true | int }} {{ ' 5 ' | int }} {{ none | int }}", {}),
    ("filter_float", "{{ '1.5' | float }} {{ 2 | float }} {{ 'x' | float }} {{ 'x' | float(1.5) }} {{ '1e3' | float }}", {}),
    ("filter_abs_round", "{{ -3 | abs }} {{ -2.5 | abs }} {{ 2.567 | round }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.567 | round(1, 'floor') }} {{ 2.512 | round(1, 'ceil') }} {{ 3 | round }} {{ -2.5 | round }}", {}),
    ("filter_unique", "{{ [1, 2, 1, 3, 2] | unique | list }} {{ ['a', 'A', 'b'] | unique | list }} {{ ['a', 'A'] | unique(case_sensitive=true) | list }}", {}),
    ("filter_indent", "[{{ 'a\nb\n\nc' | indent }}]", {}),
    ("filter_indent_options", "[{{ 'a\nb\n\nc' | indent(2, true) }}][{{ 'a\nb\n\nc' | indent(width=3, first=true, blank=true) }}][{{ 'a\n' | indent(2) }}][{{ 'x' | indent('> ', first=true) }}]", {}),
    ("filter_sum_min_max", "{{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum }} {{ users | sum(attribute='age') }} {{ [3, 1, 2] | min }} {{ [3, 1, 2] | max }} {{ ['b', 'A', 'c'] | min }} {{ ['b', 'A', 'c'] | max(case_sensitive=true) }} [{{ [] | max }}]", {"users": USERS}),
    ("filter_sort", "{{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }} {{ users | sort(attribute='age') | map(attribute='name') | join(',') }} {{ users | sort(attribute='name') | map(attribute='name') | join(',') }}", {"users": USERS}),
    ("filter_sort_mixed_error", "{{ [1, 'a'] | sort }}", {}),
    ("filter_reverse", "{{ [1, 2, 3] | reverse | list }} {{ 'abc' | reverse }} {% for x in [1, 2] | reverse %}{{ x }}{% endfor %}", {}),
    ("filter_batch", "{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3] | batch(2, 'x') | list }}", {}),
    ("filter_format", "{{ '%s-%d' | format('a', 3) }} {{ '%.2f' | format(1.234) }} {{ '%5s|%-3d|' | format('ab', 7) }} {{ '%x %o %e' | format(255, 8, 12345.678) }} {{ '%s' | format([1]) }} {{ '%%' | format() }}", {}),
    ("filter_format_wrong_args", "{{ '%d' | format('x') }}", {}),
    ("filter_wordcount_center_truncate", "{{ 'a b  c\nd' | wordcount }} [{{ 'ab' | center(6) }}] {{ 'hello world foo bar baz qux quux corge grault garply waldo' | truncate(20) }}|{{ 'hello world' | truncate(5, true) }}|{{ 'hello world' | truncate(8, false, '..', 0) }}", {}),
    ("filter_escape_safe", "{{ '<a href=\"x\">&\\'</a>' | escape }} {{ '<b>' | e }} {{ '<b>' | safe }} {{ ('<b>' | e) ~ '<i>' }} {{ '<b>' | e | e }}", {}),
    ("filter_generator_chains", "{{ users | map(attribute='name') | list }} {{ [0, 1, 2] | select | first }} {{ users | map(attribute='age') | join(', ') }} {{ users | map(attribute='age') | sum }} {{ users | map(attribute='age') | unique | list }} {{ users | selectattr('admin') | list | length }}", {"users": USERS}),
    ("filter_generator_length_error", "{{ [1, 2] | map('string') | length }}", {}),
    ("filter_generator_truthy", "{% if [] | select %}T{% else %}F{% endif %}", {}),
    ("filter_unknown_at_runtime", "{% if false %}{{ 1 | nosuchfilter }}{% endif %}ok", {}),
    ("filter_unknown_reached", "{{ 1 | nosuchfilter }}", {}),
    ("filter_attr_and_call_with_kw", "{{ users | map(attribute='name') | map('upper') | join(sep) }}", {"users": USERS, "sep": "+"}),
    # ---- string methods
    ("str_strip", "[{{ '  a  '.strip() }}][{{ 'xxaxx'.strip('x') }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}][{{ 'xya'.lstrip('yx') }}][{{ 'axy'.rstrip('xy') }}]", {}),
    ("str_split", "{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ ' x '.split(' ') }} {{ ''.split() }} {{ ''.split(',') }}", {}),
    ("str_splitlines", "{{ 'a\nb\r\nc\n'.splitlines() }} {{ 'a\n\nb'.splitlines() }}", {}),
    ("str_starts_ends", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.endswith(('x', 'y')) }} {{ 'hello'.startswith('') }}", {}),
    ("str_case_methods", "{{ 'aB c'.upper() }} {{ 'aB c'.lower() }} {{ 'aB c-d'.title() }} {{ 'aB c'.capitalize() }} {{ 'aB'.swapcase() }}", {}),
    ("str_title_method_vs_filter", "{{ 'bar_baz x-y'.title() }}|{{ 'bar_baz x-y' | title }}", {}),
    ("str_replace_method", "{{ 'aaa'.replace('a', 'b') }} {{ 'aaa'.replace('a', 'b', 1) }}", {}),
    ("str_format_method", "{{ '{} {}'.format('a', 1) }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ '{name}!'.format(name='n') }} {{ '{:>4}|{:.2f}'.format('a', 1.5) }} {{ '{{}}'.format() }}", {}),
    ("str_join_find_count", "{{ '-'.join(['a', 'b']) }} {{ 'hello'.find('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ 'hello'.index('e') }} {{ 'hello'.rfind('l') }}", {}),
    ("str_remove_prefix_suffix", "{{ 'prefix_x'.removeprefix('prefix_') }} {{ 'x.txt'.removesuffix('.txt') }} {{ 'abc'.removeprefix('z') }}", {}),
    ("str_is_methods", "{{ '123'.isdigit() }} {{ '12a'.isdigit() }} {{ 'abc'.isalpha() }} {{ 'ab1'.isalnum() }} {{ ''.isdigit() }} {{ '  '.isspace() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }}", {}),
    ("str_method_on_var", "{{ m.content.strip().split('\n')[0] }}", {"m": {"content": "  first\nsecond  "}}),
    ("str_method_unknown", "{{ 'a'.nosuch() }}", {}),
    ("str_concat_number_format", "{{ '%d items' % 3 }} {{ '%s/%s' % ('a', 'b') }}", {}),
    # ---- dict and list methods
    ("dict_get", "{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 'dflt') }} [{{ d.get('z') is none }}]", {"d": {"a": 1}}),
    ("dict_items_keys_values", "{{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.keys() | join(',') }}", {"d": {"b": 1, "a": 2}}),
    ("dict_items_print", "{{ d.items() }}", {"d": {"a": 1}}),
    ("list_index_count", "{{ l.index(2) }} {{ l.count(1) }} {{ l.count(9) }}", {"l": [1, 2, 1]}),
    ("list_index_missing_error", "{{ l.index(9) }}", {"l": [1, 2, 1]}),
    ("list_append_error", "{% set x = [] %}{{ x.append(1) }}", {}),
    ("dict_update_error", "{% set d = {} %}{{ d.update({'a': 1}) }}", {}),
    ("list_pop_error", "{% set l = [1] %}{{ l.pop() }}", {}),
    # ---- globals
    ("range_forms", "{{ range(3) | list }} {{ range(1, 4) | list }} {{ range(0, 10, 3) | list }} {{ range(5, 0, -2) | list }} {{ range(0) | list }} {{ range(3, 1) | list }}", {}),
    ("range_length_index", "{{ range(5) | length }} {{ range(2, 5)[1] }} {{ range(3) | last }}", {}),
    ("dict_global", "{{ dict(a=1, b='x') }} {{ dict() }} {{ dict(a=1).a }}", {}),
    ("raise_exception", "{{ raise_exception('Bad role: ' ~ r) }}", {"r": "x"}),
    ("raise_exception_conditional", "{% if messages[0].role != 'system' %}{{ raise_exception('need system') }}{% endif %}ok", {"messages": MSGS}),
    ("strftime_now", "{{ strftime_now('%Y-%m-%d %H:%M %A %b') }}|{{ strftime_now('%d %B %Y %I%p %a %j %y %S %m') }}", {}),
    ("strftime_now_bare", "{{ strftime_now('%-d %e') }}", {}),
    ("lipsum_cycler_absent", "{{ joiner is defined }} {{ cycler is defined }} {{ namespace is defined }}", {}),
    # ---- errors
    ("error_call_undefined", "{{ nope() }}", {}),
    ("error_call_string", "{{ 'a'() }}", {}),
    ("error_unclosed_block", "{% if true %}x", {}),
    ("error_unclosed_for", "{% for x in y %}x{% endif %}", {}),
    ("error_unknown_tag", "{% frobnicate %}", {}),
    ("error_empty_expression", "{{ }}", {}),
    ("error_unclosed_expression", "{{ x ", {}),
    ("error_unclosed_string", "{{ 'abc }}", {}),
    ("error_bad_operator", "{{ 1 +* 2 }}", {}),
    ("error_endfor_without_for", "{% endfor %}", {}),
    ("sandbox_dunder_empty", "{{ ''.__class__ }}", {}),
    ("error_break_outside_loop", "{% break %}", {}),
    ("error_iterate_int", "{% for x in 5 %}{{ x }}{% endfor %}", {}),
    ("subscript_int_empty", "{{ x[0] }}", {"x": 5}),
    ("error_undefined_arith", "{{ nope + 1 }}", {}),
    ("undefined_join_empty", "{{ nope | join(',') }}", {}),
    ("undefined_upper_empty", "[{{ nope | upper }}]", {}),
    ("error_undefined_string_concat", "{{ 'a' + nope }}", {}),
    # ---- realistic chat-template idioms
    ("idiom_messages_loop", "{% for message in messages %}{{ '<|' + message['role'] + '|>\n' + message['content'] | trim + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}", {"messages": MSGS, "add_generation_prompt": True}),
    ("idiom_system_slice", "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% set loop_messages = messages[1:] %}{% else %}{% set sys = 'default' %}{% set loop_messages = messages %}{% endif %}{{ sys }}:{% for m in loop_messages %}{{ m.content }}{% endfor %}", {"messages": MSGS}),
    ("idiom_tool_calls", "{% for tc in message.tool_calls %}{% if tc.function is defined %}{% set tc = tc.function %}{% endif %}<tool>{{ tc.name }}({{ tc.arguments | tojson }})</tool>{% endfor %}", {"message": {"tool_calls": [{"function": {"name": "f", "arguments": {"x": 1, "y": "é"}}}, {"name": "g", "arguments": {}}]}}),
    ("idiom_content_is_string", "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% else %}{% for c in m.content %}{% if c.type == 'text' %}{{ c.text }}{% endif %}{% endfor %}{% endif %}|{% endfor %}", {"messages": [{"content": "a"}, {"content": [{"type": "text", "text": "b"}, {"type": "image"}]}]}),
    ("idiom_ns_last_user", "{% set ns = namespace(last=-1) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.last = loop.index0 %}{% endif %}{% endfor %}{{ ns.last }}", {"messages": MSGS + MSGS}),
    ("idiom_bos_token", "{{ bos_token }}{{ eos_token is defined }}", {"bos_token": "<s>"}),
    ("idiom_multiline_trim", "{%- if tools %}\n    {%- for t in tools %}\n        {{- t | tojson }}\n    {%- endfor %}\n{%- endif %}\nEND", {"tools": [{"a": 1}, {"b": [2]}]}),
    ("idiom_reasoning_split", "{% set c = content %}{% if '</think>' in c %}{% set r = c.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}{% set c = c.split('</think>')[-1].lstrip('\n') %}{% endif %}[{{ r }}][{{ c }}]", {"content": "<think>\nhmm\n</think>\n\nanswer"}),
]


def main():
    if jinja2.__version__ != EXPECTED_JINJA2:
        sys.exit(f"jinja2 {EXPECTED_JINJA2} required (Scripts/requirements.txt), found {jinja2.__version__}")
    env = make_environment()
    names = [s[0] for s in SNIPPETS]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        sys.exit(f"duplicate snippet names: {duplicates}")

    results = {}
    errors = 0
    for name, source, context in SNIPPETS:
        entry = {"template": source, "context": context}
        try:
            template = env.from_string(source)
        except Exception as error:
            entry.update(error=describe(error), phase="compile")
            errors += 1
        else:
            try:
                entry["output"] = template.render(**copy.deepcopy(context))
            except Exception as error:
                entry.update(error=describe(error), phase="render")
                errors += 1
        results[name] = entry

    text = json.dumps(results, ensure_ascii=False, indent=1) + "\n"
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"snippets: {len(results)} ({len(results) - errors} render, {errors} raise); wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
