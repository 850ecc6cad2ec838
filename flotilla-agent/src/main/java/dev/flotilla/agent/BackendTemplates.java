package dev.flotilla.agent;

import dev.flotilla.core.FlotillaException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The templates the agent ships. External servers must be installed on the host (on the
 * {@code PATH}); the built-ins run from the agent's own class path with the agent's own java.
 *
 * <table>
 *   <caption>Templates</caption>
 *   <tr><th>name</th><th>command</th><th>health</th><th>ready line</th></tr>
 *   <tr><td>vllm</td><td>{@code vllm serve {model} --served-model-name {served} --port {port} --host 127.0.0.1 --tensor-parallel-size {tp}}</td>
 *       <td>/health</td><td>{@code Application startup complete}</td></tr>
 *   <tr><td>sglang</td><td>{@code python -m sglang.launch_server --model-path {model} --served-model-name {served} --port {port} --host 127.0.0.1 --tp {tp}}</td>
 *       <td>/health</td><td>{@code The server is fired up}</td></tr>
 *   <tr><td>llama-server</td><td>{@code llama-server -m {model} --alias {served} --port {port} --host 127.0.0.1}</td>
 *       <td>/health</td><td>none (poll /health)</td></tr>
 *   <tr><td>tgi</td><td>{@code text-generation-launcher --model-id {model} --port {port} --hostname 127.0.0.1 --num-shard {tp}}</td>
 *       <td>/health</td><td>{@code Connected}</td></tr>
 *   <tr><td>emulator</td><td>{@code {java} -cp {classpath} dev.flotilla.emulator.EmulatorServer --port {port} --model {model} --served-model-name {served} --gpu {gpu} --gpus {tp}}</td>
 *       <td>/health</td><td>{@code listening on \d+}; reports /load</td></tr>
 *   <tr><td>embeddings</td><td>{@code {java} -cp {classpath} dev.flotilla.embeddings.EmbeddingsServer --port {port} --served-model-name {served}}</td>
 *       <td>/health</td><td>{@code listening on \d+}</td></tr>
 * </table>
 *
 * All GPU templates set {@code CUDA_VISIBLE_DEVICES={gpus}}, so a backend sees only its devices.
 * Every template but TGI's (which answers to any model name) serves the model under
 * {@code {served}}: clients name a worker's endpoint, not its model, and the gateway forwards
 * their request body unchanged.
 */
public final class BackendTemplates {
    private static final Map<String, String> CUDA = Map.of("CUDA_VISIBLE_DEVICES", "{gpus}");
    private static final String LISTENING = "listening on \\d+";

    private static final SequencedMap<String, BackendTemplate> ALL = new LinkedHashMap<>();

    static {
        add(BackendTemplate.parse("vllm", "vllm serve {model} --served-model-name {served} --port {port}"
                + " --host 127.0.0.1 --tensor-parallel-size {tp}", CUDA, "/health", "Application startup complete", ""));
        add(BackendTemplate.parse("sglang", "python -m sglang.launch_server --model-path {model}"
                + " --served-model-name {served} --port {port} --host 127.0.0.1 --tp {tp}", CUDA, "/health",
                "The server is fired up", ""));
        add(BackendTemplate.parse("llama-server",
                "llama-server -m {model} --alias {served} --port {port} --host 127.0.0.1", CUDA, "/health", "", ""));
        add(BackendTemplate.parse("tgi",
                "text-generation-launcher --model-id {model} --port {port} --hostname 127.0.0.1 --num-shard {tp}",
                CUDA, "/health", "Connected", ""));
        add(BackendTemplate.parse("emulator", "{java} -cp {classpath} dev.flotilla.emulator.EmulatorServer"
                + " --port {port} --model {model} --served-model-name {served} --gpu {gpu} --gpus {tp}", Map.of(),
                "/health", LISTENING, "/load"));
        add(BackendTemplate.parse("embeddings", "{java} -cp {classpath} dev.flotilla.embeddings.EmbeddingsServer"
                + " --port {port} --served-model-name {served}", Map.of(), "/health", LISTENING, ""));
    }

    private BackendTemplates() {}

    private static void add(BackendTemplate template) {
        ALL.put(template.name(), template);
    }

    /** The template of that name; an unknown name is an error that lists the known ones. */
    public static BackendTemplate of(String name) {
        BackendTemplate template = ALL.get(name);
        if (template == null) {
            throw FlotillaException.invalid("template", "unknown backend template '" + name + "'; known: "
                    + String.join(", ", ALL.keySet()));
        }
        return template;
    }

    /** All shipped templates, in the order of the table above. */
    public static Map<String, BackendTemplate> all() {
        return java.util.Collections.unmodifiableSequencedMap(ALL);
    }
}
