// Multipart parsing for clip uploads: one file, few small fields, the client's path kept so that it can be refused.
import multipart from '@fastify/multipart';
import fp from 'fastify-plugin';

export const multipartPlugin = fp<{ maxUploadBytes: number }>(async (app, options) => {
  await app.register(multipart, {
    // Multipart is not bound by bodyLimit: every limit is set here (the @fastify/multipart README warns).
    limits: { fileSize: options.maxUploadBytes, files: 1, fields: 4, parts: 5, fieldSize: 1024, headerPairs: 50, fieldNameSize: 100 },
    throwFileSizeLimit: true,
    // busboy would strip "../" silently; we want to see it and refuse the upload.
    preservePath: true,
  });
}, { name: 'sopwatch-multipart' });
