package dev.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ModelCatalogTest {
    private final ModelCatalog catalog = ModelCatalog.defaultCatalog();

    @Test
    void holdsTheModelsThePlannerAndTheCalibrationNeed() {
        assertThat(catalog.ids()).contains("Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B", "Qwen2.5-7B",
                "Qwen2.5-72B", "Mistral-7B-v0.3", "Mixtral-8x7B", "Qwen3-30B-A3B", "Qwen3-235B-A22B",
                "all-MiniLM-L6-v2", "Llama-2-7b", "Meta-Llama-3-8B");
    }

    @Test
    void everyRowCitesItsConfigJson() {
        assertThat(catalog.all()).allSatisfy(m -> assertThat(m.source())
                .startsWith("https://huggingface.co/")
                .endsWith("/config.json"));
    }

    @Test
    void findsModelsCaseInsensitivelyByIdOrRepository() {
        assertThat(catalog.get("llama-3.1-70b").id()).isEqualTo("Llama-3.1-70B");
        assertThat(catalog.get("meta-llama/Llama-2-7b-hf").id()).isEqualTo("Llama-2-7b");
        assertThat(catalog.get("Qwen/Qwen3-30B-A3B").moe()).isTrue();
        assertThat(catalog.find("gpt-5")).isEmpty();
    }

    @Test
    void rejectsAnUnknownModelListingTheKnownIds() {
        assertThatThrownBy(() -> catalog.get("gpt2-xl"))
                .hasMessageStartingWith("unknown model 'gpt2-xl'; known: Llama-3.1-8B, Llama-3.1-70B")
                .hasMessageContaining("all-MiniLM-L6-v2");
    }

    @Test
    void parsesCommentsAndQuotedFields() {
        ModelCatalog parsed = ModelCatalog.parse("""
                # a comment
                id,family,layers,hidden_size,attention_heads,kv_heads,head_dim,intermediate_size,vocab_size,experts,active_experts,moe_intermediate_size,max_context,tied_embeddings,source
                tiny,llama,2,64,4,2,16,128,1000,1,1,128,256,true,"file, local"
                """);

        assertThat(parsed.get("TINY").source()).isEqualTo("file, local");
        assertThat(parsed.get("tiny").tiedEmbeddings()).isTrue();
    }
}
