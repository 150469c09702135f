"""The webhook pipeline of one server process: receipt writer, processor, profile fetcher."""

from __future__ import annotations

from dataclasses import dataclass

from wazify.meta.graph_client import GraphClient, silence_http_client_logs
from wazify.runtime import Runtime
from wazify.webhooks.processor import WebhookProcessor
from wazify.webhooks.receipts import ReceiptWriter
from wazify.workers.profiles import ProfileFetcher


@dataclass
class WebhookPipeline:
    writer: ReceiptWriter
    processor: WebhookProcessor
    profiles: ProfileFetcher
    graph: GraphClient

    @classmethod
    def create(cls, runtime: Runtime) -> WebhookPipeline:
        silence_http_client_logs()  # httpx logs full URLs at INFO
        settings = runtime.settings
        graph = GraphClient(settings.meta_graph_url, settings.meta_graph_version)
        profiles = ProfileFetcher(runtime, graph)
        processor = WebhookProcessor(runtime, on_new_contacts=profiles.wake)
        writer = ReceiptWriter(runtime.engine.pool, on_stored=processor.wake)
        return cls(writer=writer, processor=processor, profiles=profiles, graph=graph)

    def start(self) -> None:
        self.processor.start()
        self.profiles.start()
        self.processor.wake()  # receipts left pending by a previous run
        self.profiles.wake()

    async def stop(self) -> None:
        await self.processor.stop()
        await self.profiles.stop()
        await self.graph.aclose()
