package io.stoker.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The multi-host recipes in {@code examples/} (the Kubernetes manifest set, the Slurm batch script, the launch
 * scripts) checked for what would otherwise fail only on a cluster: the manifests' structure and references, and
 * every {@code stoker} command line in them parsed by the real command line, so that an option renamed later
 * breaks this test. Each check also runs once on a copy broken on purpose, and must say what broke.
 */
class RecipesTest
{
    private static final Path EXAMPLES = Path.of("..", "examples");
    private static final Path KUBERNETES = EXAMPLES.resolve("kubernetes");
    private static final Path SBATCH = EXAMPLES.resolve("slurm").resolve("stoker-train.sbatch");
    private static final Set<String> DISTRIBUTED = Set.of("coordinator", "serve", "worker", "submit");

    @Test
    void everyManifestIsListedAndEveryDocumentHasAKnownKindAndApiVersion() throws IOException
    {
        final KubernetesRecipe recipe = KubernetesRecipe.read(KUBERNETES);
        assertEquals(List.of(), recipe.unlisted(KUBERNETES));
        assertEquals(List.of(), recipe.kindsAndApiVersions());
        for (final String kind : List.of("Namespace", "Deployment", "DaemonSet", "Job", "Service", "ConfigMap",
            "PersistentVolumeClaim"))
        {
            assertTrue(!recipe.ofKind(kind).isEmpty(), "no " + kind + " in the set");
        }

        final ObjectNode broken = (ObjectNode)recipe.ofKind("Deployment").get(0);
        broken.put("apiVersion", "extensions/v1beta1");
        assertProblem(recipe.kindsAndApiVersions(), "apiVersion extensions/v1beta1, not apps/v1");
    }

    @Test
    void everyServiceSelectsPodsThatHaveItsPorts() throws IOException
    {
        final KubernetesRecipe recipe = KubernetesRecipe.read(KUBERNETES);
        assertEquals(List.of(), recipe.selectorsAndPorts());
        final JsonNode coordinator = service(recipe, "stoker-coordinator");
        assertEquals("UDP", coordinator.at("/spec/ports/0/protocol").asText(), "Aeron's control channel is UDP");

        ((ObjectNode)coordinator.at("/spec/selector")).put("app.kubernetes.io/component", "coordinater");
        assertProblem(recipe.selectorsAndPorts(), "Service stoker-coordinator: its selector");
        final KubernetesRecipe again = KubernetesRecipe.read(KUBERNETES);
        ((ObjectNode)service(again, "stoker-coordinator").at("/spec/ports/0")).put("protocol", "TCP");
        assertProblem(again.selectorsAndPorts(), "targets control/TCP, which no container");
    }

    @Test
    void everyMountVolumeSecretConfigMapClaimPortAndVariableReferredToExists() throws IOException
    {
        final KubernetesRecipe recipe = KubernetesRecipe.read(KUBERNETES);
        assertEquals(List.of(), recipe.references());
        assertEquals("stoker-job-token", recipe.kustomization.at("/secretGenerator/0/name").asText());

        final JsonNode worker = KubernetesRecipe.containers(recipe.ofKind("Job").stream()
            .filter(job -> "stoker-train".equals(job.at("/metadata/name").asText())).findFirst().orElseThrow())
            .get(0);
        ((ObjectNode)worker.at("/volumeMounts/0")).put("name", "shm");
        ((ArrayNode)worker.get("command")).add("--step-time=$(STEP_TIME)");
        final List<String> problems = recipe.references();
        assertProblem(problems, "volumeMount shm names no volume");
        assertProblem(problems, "$(STEP_TIME) in its command is not defined");
    }

    @Test
    void theTrainingJobRunsAsManyRanksAsTheJobIsSubmittedFor() throws IOException
    {
        final KubernetesRecipe recipe = KubernetesRecipe.read(KUBERNETES);
        final JsonNode job = recipe.ofKind("ConfigMap").stream()
            .filter(map -> "stoker-job".equals(map.at("/metadata/name").asText())).findFirst().orElseThrow();
        final JsonNode train = recipe.ofKind("Job").stream()
            .filter(map -> "stoker-train".equals(map.at("/metadata/name").asText())).findFirst().orElseThrow();
        final int worldSize = Integer.parseInt(job.at("/data/WORLD_SIZE").asText());
        assertEquals("Indexed", train.at("/spec/completionMode").asText());
        assertEquals(worldSize, train.at("/spec/completions").asInt());
        assertEquals(worldSize, train.at("/spec/parallelism").asInt());
        assertTrue(train.at("/spec/template/spec/shareProcessNamespace").asBoolean(),
            "the training loop checks its worker's pid: the containers must share a pid namespace");
    }

    @Test
    void everyStokerCommandLineInTheManifestsParsesWithTheRealCommandLine() throws IOException
    {
        final KubernetesRecipe recipe = KubernetesRecipe.read(KUBERNETES);
        final Set<String> parsed = new HashSet<>();
        assertEquals(List.of(), recipe.stokerCommandLines(parsed));
        assertEquals(DISTRIBUTED, parsed);

        final JsonNode coordinator = recipe.ofKind("Deployment").get(0).at("/spec/template/spec/containers/0");
        final ArrayNode command = (ArrayNode)coordinator.get("command");
        command.set(command.size() - 1, command.get(command.size() - 1).asText().replace("--metrics", "--metric"));
        assertProblem(recipe.stokerCommandLines(new HashSet<>()), "'--metric=7:9400'");

        final KubernetesRecipe again = KubernetesRecipe.read(KUBERNETES);
        final ArrayNode serve =
            (ArrayNode)again.ofKind("DaemonSet").get(0).at("/spec/template/spec/containers/0/command");
        for (int i = 0; i < serve.size(); i++)
        {
            if (serve.get(i).asText().startsWith("--listen="))
            {
                serve.set(i, "--listen=$(POD_IP)");
            }
            else if (serve.get(i).asText().startsWith("--dataset="))
            {
                serve.set(i, "--dataset=/srv/dataset");
            }
        }
        final List<String> problems = again.stokerCommandLines(new HashSet<>());
        assertProblem(problems, "--listen must be HOST:PORT, was '7'");
        assertProblem(problems, "--dataset /srv/dataset is on no volume of the container");
    }

    @Test
    void everyStokerCommandLineInTheSlurmScriptParsesWithTheRealCommandLine() throws IOException
    {
        final String script = Files.readString(SBATCH, StandardCharsets.UTF_8);
        final Set<String> parsed = new HashSet<>();
        assertEquals(List.of(), parseAll(script, parsed));
        assertEquals(DISTRIBUTED, parsed);
        assertTrue(script.contains("--world-size \"$SLURM_NTASKS\""), "world size = the job's tasks");
        assertTrue(script.contains("--rank \"$rank\"") && script.contains("local rank=$SLURM_PROCID"),
            "rank = the task's SLURM_PROCID");

        assertProblem(parseAll(script.replace("--shm-dir", "--shm-directory"), new HashSet<>()),
            "Unknown options: '--shm-directory'");
        assertProblem(parseAll(script.replace("--world-size", "--world-sizes"), new HashSet<>()),
            "Missing required option: '--world-size");
        assertProblem(parseAll(script.replace("--rank \"$rank\"", "--rank \"$rank-a\""), new HashSet<>()),
            "Invalid value for option '--rank'");
    }

    @Test
    void theScriptsAreValidBash() throws Exception
    {
        for (final Path script : List.of(SBATCH, EXAMPLES.resolve("scripts").resolve("common.sh"),
            EXAMPLES.resolve("scripts").resolve("launch-loopback.sh"),
            EXAMPLES.resolve("scripts").resolve("launch-netns.sh")))
        {
            assertEquals("", bashSyntaxErrors(script), script.toString());
        }
        final Path broken = Files.createTempFile("stoker-sbatch", ".sh");
        try
        {
            Files.writeString(broken, Files.readString(SBATCH).replace("\nfi\n", "\n"));
            assertTrue(bashSyntaxErrors(broken).contains("syntax error"), "bash -n must refuse a missing fi");
        }
        finally
        {
            Files.delete(broken);
        }
    }

    private static List<String> parseAll(final String script, final Set<String> parsed)
    {
        final List<String> problems = new ArrayList<>();
        for (final List<String> args : ShellCommandLines.of(script, List.copyOf(DISTRIBUTED)))
        {
            try
            {
                final CommandLine.ParseResult result = StokerCli.commandLine().parseArgs(args.toArray(new String[0]));
                parsed.add(result.subcommand().commandSpec().name());
            }
            catch (final CommandLine.ParameterException ex)
            {
                problems.add("`stoker " + String.join(" ", args) + "`: " + ex.getMessage());
            }
        }
        return problems;
    }

    private static String bashSyntaxErrors(final Path script) throws Exception
    {
        final Process bash = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        final String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!bash.waitFor(30, TimeUnit.SECONDS))
        {
            bash.destroyForcibly();
            fail("bash -n " + script + " did not finish");
        }
        return 0 == bash.exitValue() ? "" : output + " (exit " + bash.exitValue() + ")";
    }

    private static JsonNode service(final KubernetesRecipe recipe, final String name)
    {
        return recipe.ofKind("Service").stream().filter(service -> name.equals(service.at("/metadata/name").asText()))
            .findFirst().orElseThrow();
    }

    private static void assertProblem(final List<String> problems, final String expected)
    {
        assertTrue(problems.stream().anyMatch(problem -> problem.contains(expected)),
            "expected a problem containing '" + expected + "', found " + problems);
    }
}
