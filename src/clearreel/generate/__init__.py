"""Generation: the prompt guard, the request pipeline, output records.

- `clearreel.generate.guard.check_prompt(session, prompt, project, purpose, on, territory)`
- `clearreel.generate.pipeline.generate(settings, Request(...))` (the `generate` command)
- `clearreel.generate.outputs.get_output(session, output_id) -> Output`
- `clearreel.generate.video.generate_frames(...)` (the model side)
"""
