// GENERATED from config/pricing.yaml: edit that file, then regenerate this one from the package root with
//   f=Sources/TokenAccounting/Pricing/DefaultPricing.swift
//   { sed -n '1,/^    static let yaml/p' $f; cat config/pricing.yaml; printf '\n"""#\n}\n'; } > $f.new && mv $f.new $f
// PricingTests checks that the embedded text equals config/pricing.yaml byte for byte.

/// The default price list, embedded so that the service needs no file at run time.
enum DefaultPricing {
    /// The text of `config/pricing.yaml`, byte for byte.
    static let yaml = #"""
# quotad default model prices.
#
# FORMAT
#   models:
#     <canonical-model-name>:
#       provider: openai            # optional: openai, azure_openai, anthropic, aws_bedrock, google_gemini, mistral, ...
#       aliases: [name, ...]        # optional: other exact names of the same model at the same price
#       input: "2.50"               # required: uncached input tokens
#       cache_read: "1.25"          # optional: cached input (cache read); absent => billed at `input`
#       cache_write_5m: "3.75"      # optional: 5-minute cache writes; absent => billed at `input`
#       cache_write_1h: "6"         # optional: 1-hour cache writes; absent => billed at `cache_write_5m`
#       output: "10.00"             # required: output tokens (excluding reasoning)
#       reasoning: "10.00"          # optional: reasoning/thinking tokens; absent => billed at `output`
#       long_context:               # optional: a tier that prices the WHOLE call when its input tokens
#         above_input_tokens: 200000  #   exceed this many; inside the tier the same fallbacks apply to
#         input: "6"                #   the tier's own prices (cache_read => tier input, cache_write_5m =>
#         output: "22.50"           #   tier input, cache_write_1h => tier cache_write_5m, reasoning =>
#                                   #   tier output); input and output are required.
#
# UNITS
#   USD per 1,000,000 tokens, written as decimal strings ("0.075") or plain YAML numbers (3, 2.5), with at
#   most 9 fractional digits (1 nano-USD per 1M tokens). No exponents, no negatives. quotad converts them
#   exactly to integer nano-USD and never does money arithmetic in floating point.
#
# EXTENDING OR REPLACING
#   Point QUOTAD_PRICING_FILE at your own file. A .yaml/.yml file in this format, or a LiteLLM
#   model_prices_and_context_window.json (detected by the .json extension), is merged over these defaults:
#   an entry of yours with the same name (or an alias of yours equal to a name here) replaces ours.
#   Models that are not listed are NOT priced (cost 0, reported as unpriced) - never a guessed default.
#
# MATCHING (case-insensitive), first hit wins
#   1. exact canonical name          2. alias
#   3. normalized name, then exact/alias again: provider prefixes are removed (openai/, anthropic/,
#      gemini/, vertex_ai/, bedrock/, azure/, models/, ...), Bedrock ids lose their region (us., eu.,
#      apac., global., ...), vendor (anthropic., ...) and version (-v1:0) parts, Vertex "@..." suffixes
#      and date suffixes (-2024-08-06, -20250929) and -latest are removed.
#   4. the longest listed name that is a prefix of the normalized name at a "-" boundary
#      (gpt-4o-mini-foo => gpt-4o-mini). Models priced differently from their prefix are therefore
#      listed explicitly (gpt-4o-2024-05-13, o3-pro, gpt-5.4-mini, claude-opus-4-6, ...).
#
# SOURCE
#   LiteLLM model_prices_and_context_window.json (BerriAI/litellm @ 00035b69), cross-checked against the
#   providers' documented multipliers. Deviations from that file are marked "ANOMALY" below.
#   Not listed on purpose: claude-3-5-sonnet and gemini-1.5-* (retired; absent from the source).

models:
  # ---------------------------------------------------------------- OpenAI
  gpt-4o:
    provider: openai
    aliases: [gpt-4o-2024-08-06, gpt-4o-2024-11-20]
    input: "2.50"
    cache_read: "1.25"
    output: "10.00"
  # The first gpt-4o snapshot kept its launch price and has no cached-input price.
  gpt-4o-2024-05-13:
    provider: openai
    input: "5.00"
    output: "15.00"
  gpt-4o-mini:
    provider: openai
    aliases: [gpt-4o-mini-2024-07-18]
    input: "0.15"
    cache_read: "0.075"
    output: "0.60"
  gpt-4.1:
    provider: openai
    input: "2.00"
    cache_read: "0.50"
    output: "8.00"
  gpt-4.1-mini:
    provider: openai
    input: "0.40"
    cache_read: "0.10"
    output: "1.60"
  gpt-4.1-nano:
    provider: openai
    input: "0.10"
    cache_read: "0.025"
    output: "0.40"
  # Reasoning tokens of the o-series and gpt-5 family are billed at the output price.
  o3:
    provider: openai
    aliases: [o3-2025-04-16]
    input: "2.00"
    cache_read: "0.50"
    output: "8.00"
  o3-pro:
    provider: openai
    input: "20.00"
    output: "80.00"
  o3-deep-research:
    provider: openai
    input: "10.00"
    cache_read: "2.50"
    output: "40.00"
  o3-mini:
    provider: openai
    input: "1.10"
    cache_read: "0.55"
    output: "4.40"
  o4-mini:
    provider: openai
    input: "1.10"
    cache_read: "0.275"
    output: "4.40"
  gpt-5:
    provider: openai
    aliases: [gpt-5-2025-08-07, gpt-5-chat, gpt-5-codex]
    input: "1.25"
    cache_read: "0.125"
    output: "10.00"
  gpt-5.1:
    provider: openai
    aliases: [gpt-5.1-2025-11-13, gpt-5.1-codex]
    input: "1.25"
    cache_read: "0.125"
    output: "10.00"
  gpt-5-mini:
    provider: openai
    input: "0.25"
    cache_read: "0.025"
    output: "2.00"
  # ANOMALY: the source's gpt-5-nano priority-tier input price ($2.50) is a copy of gpt-5's; quotad does
  # not use service-tier prices at all, so only the standard prices below matter.
  gpt-5-nano:
    provider: openai
    input: "0.05"
    cache_read: "0.005"
    output: "0.40"
  gpt-5.2:
    provider: openai
    input: "1.75"
    cache_read: "0.175"
    output: "14.00"
  gpt-5.4:
    provider: openai
    aliases: [gpt-5.4-2026-03-05]
    input: "2.50"
    cache_read: "0.25"
    output: "15.00"
    long_context: { above_input_tokens: 272000, input: "5.00", cache_read: "0.50", output: "22.50" }
  gpt-5.4-mini:
    provider: openai
    input: "0.75"
    cache_read: "0.075"
    output: "4.50"
  gpt-5.4-nano:
    provider: openai
    input: "0.20"
    cache_read: "0.02"
    output: "1.25"
  gpt-5.4-pro:
    provider: openai
    input: "30.00"
    cache_read: "3.00"
    output: "180.00"
    long_context: { above_input_tokens: 272000, input: "60.00", cache_read: "6.00", output: "270.00" }
  gpt-5.5-pro:
    provider: openai
    input: "30.00"
    cache_read: "3.00"
    output: "180.00"
    long_context: { above_input_tokens: 272000, input: "60.00", cache_read: "6.00", output: "270.00" }
  text-embedding-3-small:
    provider: openai
    input: "0.02"
    output: "0"
  text-embedding-3-large:
    provider: openai
    input: "0.13"
    output: "0"

  # ---------------------------------------------------------------- Anthropic
  # 5-minute cache writes cost 1.25x input, 1-hour writes 2x input, cache reads 0.1x input.
  # Claude on AWS Bedrock (ids like us.anthropic.claude-sonnet-4-5-20250929-v1:0) matches these entries
  # through normalization.
  claude-opus-4-8:
    provider: anthropic
    input: "5.00"
    cache_read: "0.50"
    cache_write_5m: "6.25"
    cache_write_1h: "10.00"
    output: "25.00"
  claude-opus-4-7:
    provider: anthropic
    input: "5.00"
    cache_read: "0.50"
    cache_write_5m: "6.25"
    cache_write_1h: "10.00"
    output: "25.00"
  claude-opus-4-6:
    provider: anthropic
    input: "5.00"
    cache_read: "0.50"
    cache_write_5m: "6.25"
    cache_write_1h: "10.00"
    output: "25.00"
  claude-opus-4-5:
    provider: anthropic
    aliases: [claude-opus-4-5-20251101]
    input: "5.00"
    cache_read: "0.50"
    cache_write_5m: "6.25"
    cache_write_1h: "10.00"
    output: "25.00"
  claude-opus-4-1:
    provider: anthropic
    aliases: [claude-opus-4-1-20250805]
    input: "15.00"
    cache_read: "1.50"
    cache_write_5m: "18.75"
    cache_write_1h: "30.00"
    output: "75.00"
  claude-opus-4:
    provider: anthropic
    aliases: [claude-opus-4-20250514, claude-4-opus-20250514]
    input: "15.00"
    cache_read: "1.50"
    cache_write_5m: "18.75"
    cache_write_1h: "30.00"
    output: "75.00"
  claude-sonnet-4-6:
    provider: anthropic
    input: "3.00"
    cache_read: "0.30"
    cache_write_5m: "3.75"
    cache_write_1h: "6.00"
    output: "15.00"
  claude-sonnet-4-5:
    provider: anthropic
    aliases: [claude-sonnet-4-5-20250929]
    input: "3.00"
    cache_read: "0.30"
    cache_write_5m: "3.75"
    cache_write_1h: "6.00"
    output: "15.00"
    long_context:
      above_input_tokens: 200000
      input: "6.00"
      cache_read: "0.60"
      cache_write_5m: "7.50"
      cache_write_1h: "12.00"
      output: "22.50"
  # ANOMALY: the source gives no 1-hour cache-write price above 200k for this model; we use 12.00
  # (2x the tier's input, as for claude-sonnet-4-5) instead of falling back to the 5-minute price.
  claude-sonnet-4:
    provider: anthropic
    aliases: [claude-sonnet-4-20250514, claude-4-sonnet-20250514]
    input: "3.00"
    cache_read: "0.30"
    cache_write_5m: "3.75"
    cache_write_1h: "6.00"
    output: "15.00"
    long_context:
      above_input_tokens: 200000
      input: "6.00"
      cache_read: "0.60"
      cache_write_5m: "7.50"
      cache_write_1h: "12.00"
      output: "22.50"
  claude-3-7-sonnet:
    provider: anthropic
    aliases: [claude-3-7-sonnet-20250219, claude-3-7-sonnet-latest]
    input: "3.00"
    cache_read: "0.30"
    cache_write_5m: "3.75"
    cache_write_1h: "6.00"
    output: "15.00"
  claude-haiku-4-5:
    provider: anthropic
    aliases: [claude-haiku-4-5-20251001]
    input: "1.00"
    cache_read: "0.10"
    cache_write_5m: "1.25"
    cache_write_1h: "2.00"
    output: "5.00"
  # The source has this model only as a Bedrock id; Bedrock's price ($0.80/$4, after the price cut) is
  # used. ANOMALY: the source's Vertex entry still carries the launch price ($1/$5). No 1-hour write
  # price is given, so 1-hour writes are billed at the 5-minute price.
  claude-3-5-haiku:
    provider: aws_bedrock
    aliases:
      - claude-3-5-haiku-20241022
      - claude-3-5-haiku-latest
      - us.anthropic.claude-3-5-haiku-20241022-v1:0
      - anthropic.claude-3-5-haiku-20241022-v1:0
    input: "0.80"
    cache_read: "0.08"
    cache_write_5m: "1.00"
    output: "4.00"
  # ANOMALY: the source's 1-hour cache-write price is 6.00 (24x input, copied from Sonnet); we use 0.50
  # (Anthropic's 2x-input rule).
  claude-3-haiku:
    provider: anthropic
    aliases: [claude-3-haiku-20240307]
    input: "0.25"
    cache_read: "0.03"
    cache_write_5m: "0.30"
    cache_write_1h: "0.50"
    output: "1.25"
  # ANOMALY: the source's 1-hour cache-write price is 6.00, below the 5-minute price (18.75); we use
  # 30.00 (Anthropic's 2x-input rule).
  claude-3-opus:
    provider: anthropic
    aliases: [claude-3-opus-20240229, claude-3-opus-latest]
    input: "15.00"
    cache_read: "1.50"
    cache_write_5m: "18.75"
    cache_write_1h: "30.00"
    output: "75.00"

  # ---------------------------------------------------------------- Google Gemini
  # Gemini has no per-request cache-write fee (explicit caches bill storage per hour), so no
  # cache_write prices are given; Gemini responses never report cache writes.
  # ANOMALY: Vertex's gemini-2.0-flash-001 key says 0.15/0.0375/0.60, the unversioned key (and the
  # Gemini API) 0.10/0.025/0.40 for the same model; we bill the -001 snapshot like gemini-2.0-flash.
  gemini-2.0-flash:
    provider: google_gemini
    aliases: [gemini-2.0-flash-001]
    input: "0.10"
    cache_read: "0.025"
    output: "0.40"
  gemini-2.0-flash-lite:
    provider: google_gemini
    input: "0.075"
    cache_read: "0.01875"
    output: "0.30"
  gemini-2.5-flash:
    provider: google_gemini
    input: "0.30"
    cache_read: "0.03"
    output: "2.50"
    reasoning: "2.50"
  gemini-2.5-flash-lite:
    provider: google_gemini
    input: "0.10"
    cache_read: "0.01"
    output: "0.40"
    reasoning: "0.40"
  # ANOMALY: the source's cache_creation_input_token_cost_above_200k_tokens (0.25) for this model is
  # spurious (Gemini has no cache-write fee) and is left out.
  gemini-2.5-pro:
    provider: google_gemini
    input: "1.25"
    cache_read: "0.125"
    output: "10.00"
    long_context: { above_input_tokens: 200000, input: "2.50", cache_read: "0.25", output: "15.00" }
  gemini-3-pro-preview:
    provider: google_gemini
    input: "2.00"
    cache_read: "0.20"
    output: "12.00"
    long_context: { above_input_tokens: 200000, input: "4.00", cache_read: "0.40", output: "18.00" }

"""#
}
